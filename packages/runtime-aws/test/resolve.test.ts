import { describe, expect, it } from "vitest";
import { GLOBAL_TENANT, type Incident, type Ports, type Runbook } from "@ir/core";
import { loadStats, recordResolution, resolveIncident, type Resolution } from "@ir/match";
import { useAwsEnvironment } from "./support/environment";
import { incident } from "./support/factories";

const aws = useAwsEnvironment();

const NOW = "2024-02-12T10:30:00.000Z";
const runbook = (tenantId: string, id: string): Runbook => ({
  runbook_id: id, tenant_id: tenantId, title: id, content: "## Resolution\n\nRaise the timeout.", tags: [], created_at: NOW, updated_at: NOW,
  success_count: 0, failure_count: 0, created_by: "api",
});
/** What one SQS record or HTTP request works with: its own view of the incident store (optimistic locks per view). */
const view = (): Ports => ({ ...aws.ports, incidents: aws.ports.incidents.scoped() });
const read = async (tenantId: string, id: string) => (await aws.ports.incidents.scoped().get(tenantId, id))!;
/** Resolves as a stage or request does: reads the incident through its own view, then resolves it. */
const resolve = async (tenantId: string, id: string, r: Resolution, cause: string) => {
  const ports = view();
  return resolveIncident(ports, (await ports.incidents.get(tenantId, id))!, r, cause);
};
const ranked = (id: string): Partial<Incident> => ({ recommended_runbooks: [{ runbook_id: id, title: id, similarity: 0.9, solution: "" }] });

describe("resolutions on AWS (S3, DynamoDB, Pinecone: no transaction)", () => {
  it("concurrent resolutions crediting the same runbooks lose no credit", async () => {
    const t = "t_race";
    const own = runbook(t, "rb_own");
    await aws.ports.runbooks.put(own);
    const N = 6;
    for (let i = 0; i < N; i++) await aws.ports.incidents.scoped().put(incident(t, `inc_r${i}`, ranked("rb_global_lambda-timeout")));
    // Half credit the tenant's own runbook, half a global one; each passes over the global one ranked first.
    await Promise.all(Array.from({ length: N }, async (_, i) => {
      const ports = view();
      const inc = (await ports.incidents.get(t, `inc_r${i}`))!;
      const r = { resolution: "raised the timeout", resolved_by: "oncall", runbook_id: i % 2 ? "rb_own" : "rb_global_disk-full" };
      const out = await resolveIncident(ports, inc, r, `evt_r${i}`);
      expect(out.events).toHaveLength(1);
    }));
    const stats = await loadStats(aws.ports, t);
    expect(stats.outcomes((await aws.ports.runbooks.get(t, "rb_own"))!).success).toBe(N / 2);
    expect(stats.outcomes(runbook(GLOBAL_TENANT, "rb_global_disk-full")).success).toBe(N / 2);
    expect(stats.outcomes(runbook(GLOBAL_TENANT, "rb_global_lambda-timeout")).failure).toBe(N);
  });

  it("credits recorded at once (resolutions of different services run concurrently) are all counted", async () => {
    const t = "t_credits";
    const N = 20;
    await Promise.all(Array.from({ length: N }, (_, i) => recordResolution(aws.ports, t, "rb_global_disk-full", i % 2 ? "rb_global_lambda-timeout" : null)));
    const stats = await loadStats(aws.ports, t);
    expect(stats.outcomes(runbook(GLOBAL_TENANT, "rb_global_disk-full"))).toEqual({ success: N, failure: 0 });
    expect(stats.outcomes(runbook(GLOBAL_TENANT, "rb_global_lambda-timeout"))).toEqual({ success: 0, failure: N / 2 });
  });

  it("a Pinecone outage after the incident is written RESOLVED: the redelivery completes it (event, credit, vector), once", async () => {
    const t = "t_retry";
    await aws.ports.incidents.scoped().put(incident(t, "inc_p1", ranked("rb_global_lambda-timeout")));
    const r = { resolution: "raised the timeout to 60s", resolved_by: "alertmanager", runbook_id: "rb_global_lambda-timeout" };
    aws.env.pinecone.state.failNext = 1000;
    try {
      await expect(resolve(t, "inc_p1", r, "evt_p1")).rejects.toThrow();
    } finally {
      aws.env.pinecone.state.failNext = 0;
    }
    expect((await read(t, "inc_p1")).status).toBe("RESOLVED");
    // The stand-in records the refused updates too: only what the redelivery sends shows it wrote the vector.
    const refused = aws.env.pinecone.requests.length;
    // SQS redelivers the record: a fresh view reads the incident again.
    const again = await resolve(t, "inc_p1", r, "evt_p1");
    expect(again.events.map((e) => [e.id, e.type])).toEqual([["evt_p1:resolve:incident.changed", "incident.changed"]]);
    expect((await read(t, "inc_p1")).resolution_pending).toBeUndefined();
    expect(aws.env.pinecone.requests.slice(refused).filter((q) => q.path === "/vectors/update" && q.body.id === "inc_p1").map((q) => q.body.setMetadata)).toEqual([{ status: "RESOLVED" }]);
    // Once more (the publish failed after all): the same event again, nothing counted twice.
    const third = await resolve(t, "inc_p1", r, "evt_p1");
    expect(third.events.map((e) => e.id)).toEqual(["evt_p1:resolve:incident.changed"]);
    expect((await loadStats(aws.ports, t)).outcomes(runbook(GLOBAL_TENANT, "rb_global_lambda-timeout")).success).toBe(1);
    expect((await aws.ports.usage.get(t, "2024-02-12"))["resolved|payments"]).toBeUndefined(); // counted on the day it was resolved, not the fixture's
    const day = (await read(t, "inc_p1")).resolved_at!.slice(0, 10);
    expect((await aws.ports.usage.get(t, day))["resolved|payments"]).toBe(1);
  });

  it("a failure after the audit entry: the redelivery completes the resolution with one entry in the audit trail", async () => {
    const t = "t_audit_redo";
    await aws.ports.incidents.scoped().put(incident(t, "inc_a1"));
    const r = { resolution: "raised the timeout", resolved_by: "oncall", runbook_id: "rb_global_lambda-timeout" };
    const down = new Error("DynamoDB throttled");
    const failing: Ports = { ...view(), usage: { ...aws.ports.usage, addAll: () => Promise.reject(down), add: () => Promise.reject(down) } as Ports["usage"] };
    await expect(resolveIncident(failing, (await failing.incidents.get(t, "inc_a1"))!, r, "evt_a1")).rejects.toThrow("throttled");
    expect((await read(t, "inc_a1")).resolution_pending).toBe("resolve");
    await resolve(t, "inc_a1", r, "evt_a1");
    expect((await read(t, "inc_a1")).resolution_pending).toBeUndefined();
    const trail = (await aws.ports.audit.list(t, { limit: 100 })).items.filter((e) => e.target === "inc_a1");
    expect(trail.map((e) => e.action)).toEqual(["incident.resolved"]);
  });

  it("a runbook named after a source resolved the incident is recorded and credited once", async () => {
    const t = "t_credit";
    await aws.ports.incidents.scoped().put(incident(t, "inc_c1"));
    await resolve(t, "inc_c1", { resolution: "alert cleared", resolved_by: "cloudwatch" }, "evt_c1");
    const r = { resolution: "raised the timeout", resolved_by: "oncall", runbook_id: "rb_global_lambda-timeout" };
    await resolve(t, "inc_c1", r, "res_c1");
    await resolve(t, "inc_c1", r, "res_c1");
    expect(await read(t, "inc_c1")).toMatchObject({ status: "RESOLVED", resolved_runbook_id: "rb_global_lambda-timeout", resolution: "raised the timeout" });
    expect((await loadStats(aws.ports, t)).outcomes(runbook(GLOBAL_TENANT, "rb_global_lambda-timeout")).success).toBe(1);
  });
});
