import { beforeEach, describe, expect, it, vi } from "vitest";
import { Conflict, makeEvent, type Incident, type Logger, type Outcome, type PipelineEvent, type Ports, type RecommendationWriter, type Runbook, type VectorMatch } from "@ir/core";
import { invalidateCatalog } from "@ir/match";
import { enrichStage, ExtractiveWriter } from "../src/index";
import { ADVICE_BUDGET_MS, ADVICE_RETRY_MS } from "../src/stage";
import { incident as mkIncident, tenant } from "../../notify/test/fakes";

/**
 * Enrich stands between match and notify for every new incident and regression: whatever it adds is
 * optional, the page is not. A dependency's outage (Pinecone, OpenAI, the runbook store) must not keep
 * `incident.changed` from notify; a failing required write must still fail the event, to be retried.
 */

const NOW = "2024-02-12T10:30:00Z";
const pineconeDown = () => Promise.reject(new Error("Pinecone 503 Service Unavailable"));

interface Fake {
  ports: Ports;
  stored: Map<string, Incident>;
  outcomes: Outcome[];
  warnings: string[];
}

const fake = (over: { query?: () => Promise<VectorMatch[]>; runbook?: () => Promise<Runbook | null>; embed?: () => Promise<Float32Array[]>; writer?: RecommendationWriter; put?: (i: Incident) => Promise<void> } = {}): Fake => {
  const stored = new Map<string, Incident>();
  const outcomes: Outcome[] = [];
  const warnings: string[] = [];
  const log: Logger = { info: () => {}, debug: () => {}, error: () => {}, warn: (_o, msg) => { warnings.push(msg ?? ""); }, child: () => log };
  stored.set("inc_1", mkIncident({ recommendations: [] }));
  stored.set("inc_0", mkIncident({ incident_id: "inc_0", status: "RESOLVED", resolution: "raised the timeout to 60s", resolved_by: "sre", resolved_at: "2024-02-01T00:00:00Z" }));
  const ports = {
    clock: { now: () => new Date(NOW) },
    log,
    incidents: {
      get: async (_t: string, id: string) => structuredClone(stored.get(id) ?? null),
      put: over.put ?? (async (i: Incident) => { stored.set(i.incident_id, structuredClone(i)); }),
    },
    tenants: { get: async () => tenant({ channels: [] }) },
    embedder: { id: "fake", dimensions: 8, thresholds: { merge: 0.9, related: 0.5, runbook: 0.5 }, embed: over.embed ?? (async (texts: string[]) => texts.map(() => new Float32Array(8))) },
    vectors: { query: over.query ?? (async () => [{ id: "inc_0", score: 0.8 }]) },
    runbooks: { get: over.runbook ?? (async () => null) },
    kv: { get: async () => null },
    usage: { get: async () => ({}) },
    writer: over.writer ?? new ExtractiveWriter(),
    alarms: { putOutcome: async (_t: string, o: Outcome) => { outcomes.push(o); } },
  } as unknown as Ports;
  return { ports, stored, outcomes, warnings };
};

const decided = (status: Outcome["status"] = "new"): PipelineEvent => {
  const inc = mkIncident();
  const alarm = { alarm_id: "al_1", tenant_id: inc.tenant_id, source: "http", error: inc.error_message, service: inc.service, severity: "HIGH", metadata: {}, occurred_at: NOW, received_at: NOW };
  const outcome = { alarm_id: "al_1", status, incident_id: "inc_1", occurrences: 1, severity: "HIGH", runbooks: [], recommendations: [] };
  return makeEvent("incident.decided", inc.tenant_id, "al_1", { alarm, outcome, changes: [status === "regression" ? "regressed" : "opened"] } as never, NOW);
};

const reachesNotify = (out: PipelineEvent[]) => {
  expect(out).toHaveLength(1);
  expect(out[0]).toMatchObject({ type: "incident.changed", data: { incident_id: "inc_1", alarm_id: "al_1" } });
};

beforeEach(() => invalidateCatalog());

describe("enrich: the page goes out whatever the optional lookups do", () => {
  it("adds similar past resolutions and recommendations when every dependency answers", async () => {
    // prepare
    const f = fake();
    // act
    const out = await enrichStage(decided(), f.ports);
    // assess
    reachesNotify(out);
    expect(f.stored.get("inc_1")!.similar_resolutions).toEqual([expect.objectContaining({ incident_id: "inc_0", resolution: "raised the timeout to 60s" })]);
    expect(f.stored.get("inc_1")!.recommendations.map((r) => r.source)).toEqual(["past_resolution", "runbook", "runbook"]);
    expect(f.warnings).toEqual([]);
  });

  it.each([
    { name: "the similar-resolutions query fails (Pinecone outage)", over: { query: pineconeDown }, warning: /similar resolutions unavailable/ },
    { name: "the embedder fails (OpenAI outage)", over: { embed: () => Promise.reject(new Error("OpenAI 500")) }, warning: /similar resolutions unavailable/ },
    { name: "a runbook cannot be read", over: { runbook: () => Promise.reject(new Error("S3 SlowDown")) }, warning: /runbook rb_\w+ unavailable/ },
  ])("reaches notify when $name, with the advice it still has", async ({ over, warning }) => {
    // prepare
    const f = fake(over);
    // act
    const out = await enrichStage(decided(), f.ports);
    // assess
    reachesNotify(out);
    expect(f.warnings.length).toBeGreaterThan(0);
    expect(f.warnings.every((w) => warning.test(w))).toBe(true);
    // The runbooks match ranked still advise, from the solution stored with them.
    const written = f.stored.get("inc_1")!;
    expect(written.recommendations).toEqual(expect.arrayContaining([expect.objectContaining({ source: "runbook", runbook_id: "rb_timeout" })]));
    expect(f.outcomes).toEqual([expect.objectContaining({ incident_id: "inc_1", recommendations: written.recommendations })]);
  });

  it("reaches notify with extractive recommendations when the writer fails", async () => {
    // prepare
    const f = fake({ query: pineconeDown, writer: { write: () => Promise.reject(new Error("OpenAI 429")) } });
    // act
    const out = await enrichStage(decided("regression"), f.ports);
    // assess
    reachesNotify(out);
    expect(f.warnings).toHaveLength(2);
    expect(f.stored.get("inc_1")!.recommendations).toEqual([
      expect.objectContaining({ source: "runbook", runbook_id: "rb_timeout" }),
      expect.objectContaining({ source: "runbook", runbook_id: "rb_cold" }),
    ]);
  });

  it("pages with extractive advice when the writer has not answered within the budget", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const f = fake({ writer: { write: () => new Promise(() => {}) } });
      const pending = enrichStage(decided(), f.ports);
      await vi.advanceTimersByTimeAsync(ADVICE_BUDGET_MS);
      reachesNotify(await pending);
      expect(f.warnings).toEqual([expect.stringMatching(/recommendation writer/)]);
      expect(f.stored.get("inc_1")!.recommendations.map((r) => r.source)).toEqual(["past_resolution", "runbook", "runbook"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not advise a recurrence again, unless an earlier advice missed a lookup: then once, after a while", async () => {
    let asked = 0;
    let down = true;
    const writer: RecommendationWriter = { write: async (input) => { asked++; if (down) throw new Error("OpenAI 503"); return [{ text: "Roll back the deploy", source: "llm" }]; } };
    const f = fake({ writer });
    let now = Date.parse(NOW);
    f.ports.clock = { now: () => new Date(now) };
    reachesNotify(await enrichStage(decided("new"), f.ports));
    expect(asked).toBe(1);
    const degraded = f.stored.get("inc_1")!;
    expect(degraded.recommendations.map((r) => r.source)).toEqual(["past_resolution", "runbook", "runbook"]);
    expect(degraded.advice_retry_after).toBe(new Date(now + ADVICE_RETRY_MS).toISOString());

    // Duplicates before the retry time: no new attempt.
    now += ADVICE_RETRY_MS / 2;
    reachesNotify(await enrichStage(decided("existing"), f.ports));
    expect(asked).toBe(1);
    // The first one after it asks again; the writer is back, so the advice is completed and the mark cleared.
    now += ADVICE_RETRY_MS;
    down = false;
    reachesNotify(await enrichStage(decided("existing"), f.ports));
    expect(asked).toBe(2);
    const complete = f.stored.get("inc_1")!;
    expect(complete.recommendations).toEqual([{ text: "Roll back the deploy", source: "llm" }]);
    expect(complete.similar_resolutions).toEqual(degraded.similar_resolutions);
    expect(complete.advice_retry_after).toBeUndefined();
    // And never again for the duplicates after.
    now += 2 * ADVICE_RETRY_MS;
    reachesNotify(await enrichStage(decided("existing"), f.ports));
    expect(asked).toBe(2);
  });

  it("leaves a due retry to the duplicate that claims it: one that loses the claim asks nothing", async () => {
    let asked = 0;
    const due = new Date(Date.parse(NOW) - 1).toISOString();
    const f = fake({
      writer: { write: async () => { asked++; return [{ text: "Roll back the deploy", source: "llm" }]; } },
      // Another duplicate moved the retry time on (or the incident recurred) since this one read it.
      put: async () => { throw new Conflict("incident inc_1 was changed concurrently"); },
    });
    f.stored.set("inc_1", { ...f.stored.get("inc_1")!, recommendations: [{ text: "Restart it", source: "runbook" }], advice_retry_after: due });
    reachesNotify(await enrichStage(decided("existing"), f.ports));
    expect(asked).toBe(0);
  });

  it("still fails the event, to be retried, when the incident cannot be written", async () => {
    // prepare
    const f = fake({ query: pineconeDown, put: () => Promise.reject(new Error("S3 503")) });
    // act
    const error = await enrichStage(decided(), f.ports).catch((e: unknown) => e);
    // assess
    expect(error).toEqual(new Error("S3 503"));
    expect(f.outcomes).toEqual([]);
  });

  it("redoes only the merge when a recurrence wins the write, keeping that recurrence and asking the writer once", async () => {
    let writes = 0;
    let asked = 0;
    const f = fake({
      writer: { write: async (input) => { asked++; return new ExtractiveWriter().write(input); } },
      // A storm: the first two writes each lose to a recurrence that lands just before them.
      put: async (i: Incident) => {
        if (++writes <= 2) {
          const cur = f.stored.get(i.incident_id)!;
          f.stored.set(i.incident_id, { ...cur, occurrences: cur.occurrences + 1 });
          throw new Conflict("incident changed since it was read");
        }
        f.stored.set(i.incident_id, structuredClone(i));
      },
    });
    const before = f.stored.get("inc_1")!.occurrences;
    reachesNotify(await enrichStage(decided(), f.ports));
    expect(asked).toBe(1);
    expect(f.stored.get("inc_1")).toMatchObject({ occurrences: before + 2, recommendations: expect.arrayContaining([expect.anything()]) });
    expect(f.outcomes).toHaveLength(1);
  });
});
