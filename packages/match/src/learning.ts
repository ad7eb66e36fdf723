import type { Ports } from "@ir/core";

/** Per-tenant outcome counts for every runbook (global ones included, which no tenant may write to). */
export type RunbookStats = Record<string, { success: number; failure: number }>;
const KEY = "runbook_stats";

export const loadStats = async (ports: Ports, tenantId: string): Promise<RunbookStats> => (await ports.kv.get<RunbookStats>(tenantId, KEY)) ?? {};

/**
 * A resolution credits the runbook that fixed it; the runbook we ranked first loses a point when the
 * team resolved with a different one. The ranker turns these counts into a Beta prior, not a raw score.
 */
export async function recordResolution(ports: Ports, tenantId: string, usedRunbookId: string | null, topRecommendedId: string | null) {
  if (!usedRunbookId && !topRecommendedId) return;
  const stats = await loadStats(ports, tenantId);
  const bump = (id: string, field: "success" | "failure") => {
    const s = (stats[id] ??= { success: 0, failure: 0 });
    s[field] += 1;
  };
  if (usedRunbookId) bump(usedRunbookId, "success");
  if (topRecommendedId && usedRunbookId && topRecommendedId !== usedRunbookId) bump(topRecommendedId, "failure");
  await ports.kv.put(tenantId, KEY, stats);
}
