import type { AuditEvent, Incident, Ports, Runbook } from "@ir/core";
import { describe, expect, it } from "vitest";
import { loadStats, recordResolution } from "../src/learning";
import { resolveIncident } from "../src/resolve";
import { memoryUsage } from "./memory-usage";

const NOW = "2024-02-12T11:00:00.000Z";

const incident = (over: Partial<Incident> = {}): Incident => ({
  incident_id: "inc_1", tenant_id: "t_1", error_message: "Task timed out after 30.03 seconds", service: "payments", severity: "HIGH", status: "OPEN",
  runbook_matched: true, runbook_similarity: 0.9,
  recommended_runbooks: [{ runbook_id: "rb_top", title: "Top", similarity: 0.9, solution: "" }, { runbook_id: "rb_timeout", title: "Timeout", similarity: 0.8, solution: "" }],
  recommendations: [], similar_resolutions: [], related_incidents: [],
  created_at: "2024-02-12T10:30:00.000Z", last_seen: "2024-02-12T10:30:00.000Z", occurrences: 1, history: [],
  resolution: null, resolved_at: null, resolved_by: null, resolved_runbook_id: null, regression_of: null,
  fingerprint: "f", template: "t", source_keys: [], flapping: false,
  ...over,
});

/**
 * The ports resolve uses, in memory, each a separate write as on AWS (no transaction): `failures` makes the
 * named step throw once, after the steps before it were done.
 */
function memoryPorts(failures: Partial<Record<"vectors" | "audit" | "usage" | "incidents", number>> = {}) {
  const incidents = new Map<string, Incident>();
  const audit: AuditEvent[] = [];
  const vectorStatus = new Map<string, unknown>();
  const kv = new Map<string, unknown>();
  let ids = 0;
  let incidentPuts = 0;
  const failing = (step: keyof typeof failures) => {
    if (!failures[step]) return;
    failures[step]!--;
    throw new Error(`${step} unavailable`);
  };
  const counters = memoryUsage(() => failing("usage"));
  /** One counter, as `tenant/period/counter`. */
  const usage = { get: (key: string) => { const [t, p, ...c] = key.split("/"); return counters.rows.get(`${t}/${p}`)?.[c.join("/")]; }, tokens: counters.tokens };
  const ports = {
    clock: { now: () => new Date(NOW) },
    newId: (p: string) => `${p}_${++ids}`,
    incidents: {
      get: async (_t: string, id: string) => structuredClone(incidents.get(id) ?? null),
      put: async (i: Incident) => {
        // The first write (the status) lands; a failure injected here fails the later one.
        if (incidentPuts++ > 0) failing("incidents");
        incidents.set(i.incident_id, structuredClone(i));
      },
    },
    vectors: { update: async (_ns: string, id: string, m: Record<string, unknown>) => { failing("vectors"); vectorStatus.set(id, m.status); } },
    audit: { append: async (e: AuditEvent) => { failing("audit"); audit.push(e); } },
    usage: counters.usage,
    kv: { get: async (_t: string, k: string) => structuredClone(kv.get(k) ?? null), put: async (_t: string, k: string, v: unknown) => { kv.set(k, structuredClone(v)); } },
    runbooks: { get: async () => null, put: async () => undefined },
  } as unknown as Ports;
  return { ports, incidents, usage, audit, vectorStatus, kv };
}

const own = (id: string, success_count = 0): Runbook => ({
  runbook_id: id, tenant_id: "t_1", title: id, content: "", tags: [], created_at: NOW, updated_at: NOW, success_count, failure_count: 0, created_by: "api",
});
const global = (id: string): Runbook => ({ ...own(id), tenant_id: "global" });

const resolution = { resolution: "raised the timeout to 60s", resolved_by: "oncall@acme.io", runbook_id: "rb_timeout" };

describe("resolveIncident", () => {
  it("resolves, marks the vector, credits the runbook (and passes over the one ranked first), audits and emits one event", async () => {
    const m = memoryPorts();
    const out = await resolveIncident(m.ports, incident(), resolution, "evt_1");
    expect(out.events.map((e) => [e.type, e.data])).toEqual([["incident.changed", { incident_id: "inc_1", changes: ["resolved"] }]]);
    expect(m.incidents.get("inc_1")).toMatchObject({ status: "RESOLVED", resolved_runbook_id: "rb_timeout", resolution_cause: "evt_1" });
    expect(m.incidents.get("inc_1")!.resolution_pending).toBeUndefined();
    expect(m.vectorStatus.get("inc_1")).toBe("RESOLVED");
    const stats = await loadStats(m.ports, "t_1");
    expect(stats.outcomes(global("rb_timeout"))).toEqual({ success: 1, failure: 0 });
    expect(stats.outcomes(global("rb_top"))).toEqual({ success: 0, failure: 1 });
    expect(m.audit.map((a) => a.action)).toEqual(["incident.resolved"]);
  });

  for (const step of ["vectors", "audit"] as const) {
    it(`a retry after a failure of ${step} (the incident already written RESOLVED) completes the resolution: event, credit, vector`, async () => {
      const m = memoryPorts({ [step]: 1 });
      await expect(resolveIncident(m.ports, incident(), resolution, "evt_1")).rejects.toThrow(`${step} unavailable`);
      expect(m.incidents.get("inc_1")!.status).toBe("RESOLVED");
      // The queue redelivers the same event; the stage reads the incident again.
      const again = await resolveIncident(m.ports, (await m.ports.incidents.get("t_1", "inc_1"))!, resolution, "evt_1");
      expect(again.events.map((e) => e.type)).toEqual(["incident.changed"]);
      expect(again.events[0].id).toBe("evt_1:resolve:incident.changed");
      expect(m.vectorStatus.get("inc_1")).toBe("RESOLVED");
      expect(m.incidents.get("inc_1")!.resolution_pending).toBeUndefined();
      expect((await loadStats(m.ports, "t_1")).outcomes(global("rb_timeout")).success).toBe(1);
      expect(m.usage.get("t_1/2024-02-12/resolved|payments")).toBe(1);
    });
  }

  it("a failure of the last write (clearing the mark) is completed by the retry too, which counts nothing again", async () => {
    const m = memoryPorts({ incidents: 1 });
    await expect(resolveIncident(m.ports, incident(), resolution, "evt_1")).rejects.toThrow("incidents unavailable");
    const again = await resolveIncident(m.ports, (await m.ports.incidents.get("t_1", "inc_1"))!, resolution, "evt_1");
    expect(again.events.map((e) => e.type)).toEqual(["incident.changed"]);
    expect(m.incidents.get("inc_1")!.resolution_pending).toBeUndefined();
    const stats = await loadStats(m.ports, "t_1");
    expect(stats.outcomes(global("rb_timeout"))).toEqual({ success: 1, failure: 0 });
    expect(stats.outcomes(global("rb_top"))).toEqual({ success: 0, failure: 1 });
    expect(m.usage.get("t_1/2024-02-12/resolved|payments")).toBe(1);
    expect(m.usage.get("t_1/2024-02-12/rb_used:rb_timeout|payments")).toBe(1);
    // Once the mark is cleared the tokens go: nothing is left to pile up.
    expect(m.usage.tokens.size).toBe(0);
  });

  it("the same resolution asked again once done emits its event again (the publish may have failed) and counts nothing", async () => {
    const m = memoryPorts();
    const first = await resolveIncident(m.ports, incident(), resolution, "res_a");
    const again = await resolveIncident(m.ports, (await m.ports.incidents.get("t_1", "inc_1"))!, resolution, "res_a");
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    // Another resolve (Alertmanager repeating "resolved") does nothing.
    const other = await resolveIncident(m.ports, (await m.ports.incidents.get("t_1", "inc_1"))!, { resolution: "cleared", resolved_by: "alertmanager" }, "evt_9");
    expect(other.events).toEqual([]);
    expect((await loadStats(m.ports, "t_1")).outcomes(global("rb_timeout")).success).toBe(1);
    expect(m.usage.get("t_1/2024-02-12/resolved|payments")).toBe(1);
    expect(m.audit).toHaveLength(1);
  });

  it("an incident a source resolved first takes the runbook a later resolve names, credited once", async () => {
    const m = memoryPorts();
    await resolveIncident(m.ports, incident(), { resolution: "alert cleared", resolved_by: "alertmanager" }, "evt_1");
    const resolvedAt = m.incidents.get("inc_1")!.resolved_at;
    const credit = await resolveIncident(m.ports, (await m.ports.incidents.get("t_1", "inc_1"))!, resolution, "res_b");
    expect(credit.events).toEqual([]);
    expect(m.incidents.get("inc_1")).toMatchObject({
      status: "RESOLVED", resolved_runbook_id: "rb_timeout", resolution: "raised the timeout to 60s", resolved_by: "oncall@acme.io", resolved_at: resolvedAt,
    });
    expect(m.incidents.get("inc_1")!.history.map((h) => h.event)).toEqual(["resolved", "runbook_credited"]);
    // Asked again, or with another runbook: nothing more is credited.
    await resolveIncident(m.ports, (await m.ports.incidents.get("t_1", "inc_1"))!, resolution, "res_b");
    await resolveIncident(m.ports, (await m.ports.incidents.get("t_1", "inc_1"))!, { ...resolution, runbook_id: "rb_top" }, "res_c");
    const stats = await loadStats(m.ports, "t_1");
    expect(stats.outcomes(global("rb_timeout"))).toEqual({ success: 1, failure: 0 });
    expect(stats.outcomes(global("rb_top"))).toEqual({ success: 0, failure: 1 });
    expect(m.incidents.get("inc_1")!.resolved_runbook_id).toBe("rb_timeout");
    expect(m.usage.get("t_1/2024-02-12/rb_used:rb_timeout|payments")).toBe(1);
    expect(m.audit.map((a) => a.action)).toEqual(["incident.resolved", "incident.runbook_credited"]);
  });

  it.each([
    ["before anything was counted", { usage: 1 }, "usage unavailable"],
    // The counters were bumped, and the write that clears the mark failed: the retry must not bump them again.
    ["after everything was counted", { incidents: 1 }, "incidents unavailable"],
  ] as const)("a credit cut short by a failure %s is completed by its retry, once", async (_, failure, error) => {
    const m = memoryPorts();
    await resolveIncident(m.ports, incident(), { resolution: "alert cleared", resolved_by: "alertmanager" }, "evt_1");
    const failing = memoryPorts(failure);
    for (const [k, v] of m.incidents) failing.incidents.set(k, v);
    await expect(resolveIncident(failing.ports, (await failing.ports.incidents.get("t_1", "inc_1"))!, resolution, "res_b")).rejects.toThrow(error);
    expect(failing.incidents.get("inc_1")!.resolution_pending).toBe("credit");
    await resolveIncident(failing.ports, (await failing.ports.incidents.get("t_1", "inc_1"))!, resolution, "res_b");
    expect(failing.incidents.get("inc_1")!.resolution_pending).toBeUndefined();
    expect((await loadStats(failing.ports, "t_1")).outcomes(global("rb_timeout")).success).toBe(1);
    expect(failing.usage.get("t_1/2024-02-12/rb_used:rb_timeout|payments")).toBe(1);
    expect(failing.usage.tokens.size).toBe(0);
  });
});

describe("learning", () => {
  it("adds new credits to what an own runbook's document and the old per-tenant record held, never both", async () => {
    const m = memoryPorts();
    m.kv.set("runbook_stats", { rb_global: { success: 4, failure: 1 }, rb_own: { success: 2, failure: 3 } });
    await recordResolution(m.ports, "t_1", "rb_global", null);
    await recordResolution(m.ports, "t_1", "rb_own", "rb_global");
    const stats = await loadStats(m.ports, "t_1");
    expect(stats.outcomes(global("rb_global"))).toEqual({ success: 5, failure: 2 });
    expect(stats.outcomes(own("rb_own", 2))).toEqual({ success: 3, failure: 3 });
    expect(stats.view(own("rb_own", 2)).success_count).toBe(3);
  });

  it("concurrent credits are all counted", async () => {
    const m = memoryPorts();
    await Promise.all(Array.from({ length: 10 }, () => recordResolution(m.ports, "t_1", "rb_global", null)));
    expect((await loadStats(m.ports, "t_1")).outcomes(global("rb_global")).success).toBe(10);
  });
});
