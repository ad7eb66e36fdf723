import type { Incident, Ports } from "@ir/core";
import { describe, expect, it } from "vitest";
import { memoryUsage } from "./memory-usage";
import { addRecord, countDecision, countResolution, emptyStats, medianSeconds, mergeStats, readDailyStats } from "../src/daily-stats";

const meter = () => {
  const { usage, rows } = memoryUsage();
  return { ports: { usage } as unknown as Ports, rows };
};

const incident = (over: Partial<Incident>): Incident => ({
  incident_id: "inc_1", tenant_id: "t_1", error_message: "boom", service: "api", severity: "MEDIUM", status: "OPEN",
  runbook_matched: true, runbook_similarity: 0.8, recommended_runbooks: [{ runbook_id: "rb_a", title: "A", similarity: 0.8, solution: "" }],
  recommendations: [], similar_resolutions: [], related_incidents: [],
  created_at: "2025-03-03T10:00:00.000Z", last_seen: "2025-03-03T10:00:00.000Z", occurrences: 1, history: [],
  resolution: null, resolved_at: null, resolved_by: null, resolved_runbook_id: null, regression_of: null,
  fingerprint: "f", template: "boom", source_keys: [], flapping: false,
  ...over,
});

describe("daily stats", () => {
  it("counts opens, duplicates, regressions and resolutions on the day they happen, per service", async () => {
    // prepare
    const { ports } = meter();
    const a = incident({});
    // act
    await countDecision(ports, "new", a, null);
    await countDecision(ports, "existing", { ...a, last_seen: "2025-03-03T10:05:00.000Z" }, null);
    const resolvedA = { ...a, status: "RESOLVED" as const, resolved_at: "2025-03-04T10:00:00.000Z", resolved_runbook_id: "rb_a" };
    await countResolution(ports, resolvedA);
    await countDecision(ports, "regression", incident({ incident_id: "inc_2", service: "web", runbook_matched: false, last_seen: "2025-03-04T12:00:00.000Z", regression_of: "inc_1" }), resolvedA);
    const days = await readDailyStats(ports, "t_1", ["2025-03-03", "2025-03-04"]);
    const web = await readDailyStats(ports, "t_1", ["2025-03-03", "2025-03-04"], "web");
    // assess
    expect(days.get("2025-03-03")).toMatchObject({ opened: 1, duplicates: 1, matched: 1, resolved: 0 });
    expect(days.get("2025-03-04")).toMatchObject({ opened: 1, regressions: 1, resolved: 1, ttr_sum: 86_400, matched: 0 });
    expect(days.get("2025-03-04")!.runbooks.get("rb_a")).toEqual({ recommended: 1, used: 1, regressed: 1 });
    expect(web.get("2025-03-03")).toMatchObject({ opened: 0, duplicates: 0 });
    expect(web.get("2025-03-04")).toMatchObject({ opened: 1, regressions: 1, resolved: 0 });
  });

  // 3,445 s and 3,755 s lie at the two ends of one bucket: a median read at either edge is 9% off for one of them.
  it.each([3_445, 3_755])("reads the median time to resolve (%i s) from the histogram within 5%", async (median) => {
    const { ports } = meter();
    // Slow resolutions first, so the histogram's buckets are not stored in ascending order.
    const samples = [86_400, 7_200, 42, 300, 1_800, median, 3_900];
    for (const [i, s] of samples.entries()) {
      await countResolution(ports, incident({ incident_id: `inc_${i}`, resolved_at: new Date(Date.parse("2025-03-03T00:00:00Z") + s * 1000).toISOString(), created_at: "2025-03-03T00:00:00.000Z" }));
    }
    const day = [...(await readDailyStats(ports, "t_1", ["2025-03-03", "2025-03-04"])).values()].reduce(mergeStats, emptyStats());
    expect(day.resolved).toBe(samples.length);
    expect(day.ttr_sum).toBe(samples.reduce((a, b) => a + b, 0));
    expect(Math.abs(medianSeconds(day.ttr)! - median) / median).toBeLessThan(0.05);
    expect(medianSeconds(new Map())).toBeNull();
  });

  it("ignores counters that are not its own (the monthly plan counters share the meter)", () => {
    expect(addRecord(emptyStats(), { incidents: 5, "opened|api": 2, "rb_bogus:x|api": 1 })).toMatchObject({ opened: 2, runbooks: new Map() });
  });
});
