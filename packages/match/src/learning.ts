import type { Ports, Runbook } from "@ir/core";

/** Per-tenant outcome counts for every runbook (global ones included, which no tenant may write to). */
export type RunbookStats = Record<string, { success: number; failure: number }>;

/**
 * Counts recorded before the counters below: one JSON document per tenant, read-modify-written. On AWS two
 * resolutions at once lost a credit that way, so it is no longer written, only read (and added to the counters).
 */
const LEGACY_KEY = "runbook_stats";
/**
 * Outcomes are counters of the usage meter, in a record of their own (`success:<runbook_id>`, `failure:<runbook_id>`):
 * each credit is one atomic add (DynamoDB ADD on AWS), so concurrent resolutions never overwrite each other's.
 */
export const STATS_PERIOD = "runbook_stats";
const FIELDS = ["success", "failure"] as const;
type Field = (typeof FIELDS)[number];
const counterOf = (field: Field, runbookId: string) => `${field}:${runbookId}`;

function parseCounters(record: Record<string, number>): RunbookStats {
  const out: RunbookStats = {};
  for (const [name, n] of Object.entries(record)) {
    const at = name.indexOf(":");
    const field = name.slice(0, at) as Field;
    if (at < 0 || !FIELDS.includes(field)) continue;
    (out[name.slice(at + 1)] ??= { success: 0, failure: 0 })[field] += n;
  }
  return out;
}

/** What a tenant learned about its runbooks: the counters, and what was recorded before them. */
export class RunbookLearning {
  constructor(readonly tenantId: string, private readonly legacy: RunbookStats, private readonly counted: RunbookStats) {}

  /**
   * A tenant's own runbook used to count its successes on its document (and the old per-tenant document counted
   * them again); a global one only in the tenant's stats. New credits are all counters, added to whichever held
   * the old ones, so nothing is counted twice.
   */
  outcomes(r: Pick<Runbook, "runbook_id" | "tenant_id" | "success_count">): { success: number; failure: number } {
    const legacy = this.legacy[r.runbook_id];
    const counted = this.counted[r.runbook_id];
    const before = r.tenant_id === this.tenantId ? r.success_count : (legacy?.success ?? 0);
    return { success: before + (counted?.success ?? 0), failure: (legacy?.failure ?? 0) + (counted?.failure ?? 0) };
  }

  /** The runbook as this tenant sees it: with the successes it had here. */
  view<R extends Runbook>(r: R): R {
    return { ...r, success_count: this.outcomes(r).success };
  }
}

export async function loadStats(ports: Ports, tenantId: string): Promise<RunbookLearning> {
  const [legacy, counters] = await Promise.all([ports.kv.get<RunbookStats>(tenantId, LEGACY_KEY), ports.usage.get(tenantId, STATS_PERIOD)]);
  return new RunbookLearning(tenantId, legacy ?? {}, parseCounters(counters));
}

/**
 * A resolution credits the runbook that fixed it; the runbook we ranked first loses a point when the
 * team resolved with a different one. The ranker turns these counts into a Beta prior, not a raw score.
 */
export async function recordResolution(ports: Ports, tenantId: string, usedRunbookId: string | null, topRecommendedId: string | null, once?: string) {
  if (!usedRunbookId) return;
  const counts = { [counterOf("success", usedRunbookId)]: 1, ...(topRecommendedId && topRecommendedId !== usedRunbookId && { [counterOf("failure", topRecommendedId)]: 1 }) };
  await ports.usage.addAll(tenantId, STATS_PERIOD, counts, once);
}
