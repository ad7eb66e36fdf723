import { describe, expect, it } from "vitest";
import { runbookQuery } from "../src/runbook-query";
import { RunbookIndex, type RunbookDoc } from "../src/rank-runbooks";

const none = new Float32Array(4);
const doc = (runbook_id: string, title: string, content: string): RunbookDoc => ({ runbook_id, title, content, tags: [], success_count: 0, failure_count: 0, vector: none });

describe("the runbook query of an alarm", () => {
  it("names the alert when the source gave a name the message does not contain", () => {
    expect(runbookQuery({ service: "etcd", error: "members are unreachable", metadata: { labels: { alertname: "EtcdNoLeader" } } })).toBe("etcd EtcdNoLeader members are unreachable");
    expect(runbookQuery({ service: "billing", error: "CPU above 90%", metadata: { alarmName: "billing-HighCpu" } })).toBe("billing billing-HighCpu CPU above 90%");
  });

  it("is service and message otherwise", () => {
    expect(runbookQuery({ service: "api", error: "HighErrorRate: 5xx above 2%", metadata: { labels: { alertname: "HighErrorRate" } } })).toBe("api HighErrorRate: 5xx above 2%");
    expect(runbookQuery({ service: "api", error: "timeout", metadata: {} })).toBe("api timeout");
    expect(runbookQuery({ service: "api", error: "timeout", metadata: { labels: { alertname: 7 } } })).toBe("api timeout");
  });

  it("lets the runbook named after the alert win when the message is worded like another runbook", () => {
    const index = new RunbookIndex([
      doc("leader", "EtcdNoLeader", "## Meaning\nThe cluster has no leader; writes fail.\n## Resolution\nRestore quorum by restarting the failed members."),
      doc("members", "EtcdMembersDown", "## Meaning\nSome members are unreachable over the network.\n## Resolution\nCheck the network between members."),
    ]);
    const alarm = { service: "etcd", error: "members are unreachable over the network", metadata: { labels: { alertname: "EtcdNoLeader" } } };
    expect(index.search(`${alarm.service} ${alarm.error}`, none, 2)[0].runbook_id).toBe("members");
    expect(index.search(runbookQuery(alarm), none, 2)[0].runbook_id).toBe("leader");
  });
});
