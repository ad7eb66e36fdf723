import { describe, expect, it } from "vitest";
import { makeEvent, type Incident, type PipelineEvent, type Ports } from "@ir/core";
import { embedStage, HashEmbedder } from "@ir/embed";
import { matchStage } from "../src/index";

/**
 * On AWS an alarm goes through embed before match, while its source's resolution goes straight to match: with
 * embed slow (waiting out a rate limit), the resolution can be decided first, before any incident has the key.
 */
function pipeline(sourceKey = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:QueueDepthHigh") {
  const incidents = new Map<string, Incident>();
  const bySourceKey = new Map<string, string>();
  const fingerprints = new Map<string, string>();
  const vectors = new Map<string, { vector: Float32Array; metadata: Record<string, unknown> }>();
  const kv = new Map<string, unknown>();
  let ids = 0;
  let clock = Date.parse("2031-03-01T10:00:00Z");
  const ports = {
    clock: { now: () => new Date((clock += 1000)) },
    newId: (p: string) => `${p}_${++ids}`,
    log: { error() {}, info() {}, warn() {}, debug() {}, child() { return this; } },
    tenants: { get: async (id: string) => ({ tenant_id: id, name: "t", plan: "enterprise", settings: { auto_resolve: true, global_runbooks: false, default_severity: "MEDIUM", notifications: { channels: [] } } }) },
    incidents: {
      get: async (_t: string, id: string) => structuredClone(incidents.get(id) ?? null),
      put: async (i: Incident) => { incidents.set(i.incident_id, structuredClone(i)); },
      findByFingerprint: async (t: string, s: string, f: string) => fingerprints.get(`${t}/${s}/${f}`) ?? null,
      indexFingerprint: async (t: string, s: string, f: string, id: string) => { fingerprints.set(`${t}/${s}/${f}`, id); },
      findBySourceKey: async (t: string, k: string) => bySourceKey.get(`${t}/${k}`) ?? null,
      indexSourceKey: async (t: string, k: string, id: string) => { bySourceKey.set(`${t}/${k}`, id); },
    },
    vectors: {
      upsert: async (_ns: string, items: Array<{ id: string; vector: Float32Array; metadata: Record<string, unknown> }>) => { for (const it of items) vectors.set(it.id, { vector: it.vector, metadata: { ...it.metadata } }); },
      update: async (_ns: string, id: string, m: Record<string, unknown>) => { const v = vectors.get(id); if (v) Object.assign(v.metadata, m); },
      query: async () => [],
    },
    embedder: new HashEmbedder(),
    usage: { add: async () => {}, addAll: async () => {}, forget: async () => {}, get: async () => ({}) },
    kv: { get: async (t: string, k: string) => kv.get(`${t}/${k}`) ?? null, put: async (t: string, k: string, v: unknown) => { kv.set(`${t}/${k}`, v); } },
    runbooks: { list: async () => ({ items: [], next_cursor: null }), get: async () => null },
    audit: { append: async () => {} },
  } as unknown as Ports;

  const firing = (n: number, occurredAt: string, key = sourceKey): PipelineEvent => {
    const alarm = { alarm_id: `alm_${n}`, tenant_id: "t1", source: "cloudwatch" as const, error: "ALARM: QueueDepthHigh (ApproximateNumberOfMessagesVisible > 1000)", service: "orders-queue", severity: "HIGH" as const, metadata: {}, occurred_at: occurredAt, received_at: occurredAt, source_key: key };
    return makeEvent("alarm.received", "t1", alarm.alarm_id, alarm, occurredAt);
  };
  const resolution = (occurredAt: string, key = sourceKey): PipelineEvent => makeEvent("alarm.resolved", "t1", `${key}@${occurredAt}`, {
    tenant_id: "t1", source: "cloudwatch", source_key: key, resolved_by: "cloudwatch", resolution: "OK", occurred_at: occurredAt,
  }, occurredAt);
  const decide = async (event: PipelineEvent) => {
    const [embedded] = await embedStage(event, ports);
    return matchStage(embedded, ports);
  };
  return { incidents, ports, firing, resolution, decide };
}

describe("a source's resolution decided before its firing", () => {
  it("closes the incident the late firing opens, and emits the resolve after the decision", async () => {
    const p = pipeline();
    // ALARM at 10:00, OK at 10:05; the OK is decided first.
    expect(await matchStage(p.resolution("2031-03-01T10:05:00.000Z"), p.ports)).toEqual([]);
    const out = await p.decide(p.firing(1, "2031-03-01T10:00:00.000Z"));
    expect(out.map((e) => e.type)).toEqual(["incident.decided", "incident.changed"]);
    const [incident] = [...p.incidents.values()];
    expect(incident).toMatchObject({ status: "RESOLVED", resolved_by: "cloudwatch", occurrences: 1 });
  });

  it("leaves a later firing of the same alarm open", async () => {
    const p = pipeline();
    await matchStage(p.resolution("2031-03-01T10:05:00.000Z"), p.ports);
    await p.decide(p.firing(1, "2031-03-01T10:00:00.000Z"));
    // ALARM again at 10:20: a regression, open, whatever was resolved before.
    const out = await p.decide(p.firing(2, "2031-03-01T10:20:00.000Z"));
    expect(out.map((e) => e.type)).toEqual(["incident.decided"]);
    expect([...p.incidents.values()].filter((i) => i.status === "OPEN")).toHaveLength(1);
  });

  it("leaves open a later firing that opens the incident while the early resolution is still kept", async () => {
    const p = pipeline();
    await matchStage(p.resolution("2031-03-01T10:05:00.000Z"), p.ports);
    // The 10:00 ALARM is still in embed; the 10:20 one, after the OK, opens the incident and must not be closed by it.
    // (Above, the 10:20 ALARM was a regression, which never consults the kept resolution.)
    const out = await p.decide(p.firing(2, "2031-03-01T10:20:00.000Z"));
    expect(out.map((e) => e.type)).toEqual(["incident.decided"]);
    expect([...p.incidents.values()]).toEqual([expect.objectContaining({ status: "OPEN" })]);
  });
});

describe("a firing delivered after a resolution that came later than it", () => {
  // ALARM 10:00, OK 10:05, ALARM 10:10, OK 10:15: the 10:10 ALARM reaches match last (an EventBridge retry).
  const flapped = async (p: ReturnType<typeof pipeline>) => {
    await p.decide(p.firing(1, "2031-03-01T10:00:00.000Z"));
    await matchStage(p.resolution("2031-03-01T10:05:00.000Z"), p.ports);
    await matchStage(p.resolution("2031-03-01T10:15:00.000Z"), p.ports);
    return p.decide(p.firing(2, "2031-03-01T10:10:00.000Z"));
  };

  it("counts a CloudWatch firing older than the alarm's last OK on the resolved incident, without a regression", async () => {
    const p = pipeline();
    const out = await flapped(p);
    expect(out).toHaveLength(1);
    expect(out[0].data).toMatchObject({ outcome: { status: "existing" }, changes: ["recurred"] });
    const all = [...p.incidents.values()];
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ status: "RESOLVED", occurrences: 2 });

    // The next real ALARM, after the last OK, is a regression.
    const again = await p.decide(p.firing(3, "2031-03-01T10:20:00.000Z"));
    expect(again[0].data).toMatchObject({ outcome: { status: "regression" } });
  });

  it("leaves the key resolved when the late firing recurs an incident still open for another alarm", async () => {
    const p = pipeline();
    const other = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:QueueDepthHigh-replica";
    await p.decide(p.firing(1, "2031-03-01T10:00:00.000Z"));
    await p.decide(p.firing(2, "2031-03-01T10:01:00.000Z", other));
    await matchStage(p.resolution("2031-03-01T10:05:00.000Z"), p.ports);
    await matchStage(p.resolution("2031-03-01T10:15:00.000Z"), p.ports);
    // The 10:10 ALARM of the first alarm, delivered after its 10:15 OK: counted, the alarm is still OK.
    await p.decide(p.firing(3, "2031-03-01T10:10:00.000Z"));
    expect([...p.incidents.values()]).toHaveLength(1);
    // The other alarm's OK is the last one the incident waits for.
    await matchStage(p.resolution("2031-03-01T10:20:00.000Z", other), p.ports);
    expect([...p.incidents.values()][0]).toMatchObject({ status: "RESOLVED", occurrences: 3 });
  });

  it("takes an Alertmanager alert with an old start as firing on: Alertmanager keeps startsAt when an alert resumes", async () => {
    const p = pipeline("alertmanager:5c3b0e2f");
    const out = await flapped(p);
    expect(out[0].data).toMatchObject({ outcome: { status: "regression" } });
    expect([...p.incidents.values()].filter((i) => i.status === "OPEN")).toHaveLength(1);
  });
});
