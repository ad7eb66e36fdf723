import type { Incident, Outcome, Ports } from "@ir/core";

/**
 * Analytics counters: one usage record per tenant and UTC day ("YYYY-MM-DD", beside the monthly "YYYY-MM"
 * plan counters), bumped where incidents open, recur and resolve, so the analytics API reads one record a
 * day instead of scanning incidents. Every counter is named `<metric>|<service>`: a `?service=` filter
 * reads the same records, and tenant totals are the sum over services. A duplicate, the hot path, costs
 * one atomic add.
 */

const SEP = "|";

/**
 * Time to resolve is kept as a log-scale histogram (eight buckets per doubling, so a bucket spans 9%)
 * next to an exact sum: counters can be added atomically and summed over days; a list of durations
 * cannot. The median read back is the bucket's geometric middle, within 5% of the true value.
 */
const BUCKETS_PER_DOUBLING = 8;
const bucketOf = (seconds: number) => Math.floor(BUCKETS_PER_DOUBLING * Math.log2(Math.max(1, seconds)));
const bucketMiddle = (k: number) => 2 ** ((k + 0.5) / BUCKETS_PER_DOUBLING);

export const dayOf = (iso: string) => iso.slice(0, 10);

const counter = (metric: string, service: string) => `${metric}${SEP}${service}`;

/** One write per record; `once` names the step counting (see UsageMeter.addAll). */
async function bump(ports: Ports, tenantId: string, day: string, service: string, counts: Array<[string, number]>, once?: string) {
  await ports.usage.addAll(tenantId, day, Object.fromEntries(counts.map(([metric, n]) => [counter(metric, service), n])), once);
}

/**
 * Called once per decision. `previous` is the resolved incident a regression came back from: the runbook
 * it was resolved with did not hold.
 */
export async function countDecision(ports: Ports, status: Outcome["status"], incident: Incident, previous: Incident | null) {
  const counts: Array<[string, number]> = [];
  if (status === "existing") counts.push(["duplicates", 1]);
  else {
    counts.push(["opened", 1]);
    if (incident.runbook_matched) counts.push(["matched", 1]);
    const top = incident.recommended_runbooks[0];
    if (top) counts.push([`rb_rec:${top.runbook_id}`, 1]);
  }
  if (status === "regression") {
    counts.push(["regressions", 1]);
    if (previous?.resolved_runbook_id) counts.push([`rb_regressed:${previous.resolved_runbook_id}`, 1]);
  }
  await bump(ports, incident.tenant_id, dayOf(incident.last_seen), incident.service, counts);
}

/** The day record a resolution (or a later runbook credit) counts in. */
export const resolutionDay = (incident: Incident) => (incident.resolved_at ? dayOf(incident.resolved_at) : null);

/** Called once when an incident is resolved, on the day it is resolved; `once` as for bump. */
export async function countResolution(ports: Ports, incident: Incident, once?: string) {
  const day = resolutionDay(incident);
  if (!day || !incident.resolved_at) return;
  const seconds = Math.max(0, Math.round((Date.parse(incident.resolved_at) - Date.parse(incident.created_at)) / 1000));
  const counts: Array<[string, number]> = [["resolved", 1], ["ttr_sum", seconds], [`ttr_h${bucketOf(seconds)}`, 1]];
  if (incident.resolved_runbook_id) counts.push([`rb_used:${incident.resolved_runbook_id}`, 1]);
  await bump(ports, incident.tenant_id, day, incident.service, counts, once);
}

/** Called once when a runbook is credited to an incident resolved without one (the source resolved it first). */
export async function countCredit(ports: Ports, incident: Incident, once?: string) {
  const day = resolutionDay(incident);
  if (!day || !incident.resolved_runbook_id) return;
  await bump(ports, incident.tenant_id, day, incident.service, [[`rb_used:${incident.resolved_runbook_id}`, 1]], once);
}

export interface RunbookCounts { recommended: number; used: number; regressed: number }

/** One day's (or a sum of days') counters, for one service or all. */
export interface DailyStats {
  opened: number;
  regressions: number;
  duplicates: number;
  matched: number;
  resolved: number;
  ttr_sum: number;
  /** Histogram bucket → resolutions. */
  ttr: Map<number, number>;
  runbooks: Map<string, RunbookCounts>;
}

export const emptyStats = (): DailyStats => ({ opened: 0, regressions: 0, duplicates: 0, matched: 0, resolved: 0, ttr_sum: 0, ttr: new Map(), runbooks: new Map() });

const SCALARS = ["opened", "regressions", "duplicates", "matched", "resolved", "ttr_sum"] as const;
const RUNBOOK_FIELD = { rb_rec: "recommended", rb_used: "used", rb_regressed: "regressed" } as const;

/** Folds one usage record (as `UsageMeter.get` returns it) into `into`, keeping only `service` when given. */
export function addRecord(into: DailyStats, record: Record<string, number>, service?: string): DailyStats {
  for (const [name, n] of Object.entries(record)) {
    const at = name.indexOf(SEP);
    if (at < 0) continue;
    if (service !== undefined && name.slice(at + 1) !== service) continue;
    const metric = name.slice(0, at);
    if ((SCALARS as readonly string[]).includes(metric)) into[metric as (typeof SCALARS)[number]] += n;
    else if (metric.startsWith("ttr_h")) {
      const k = Number(metric.slice(5));
      into.ttr.set(k, (into.ttr.get(k) ?? 0) + n);
    } else {
      const colon = metric.indexOf(":");
      const field = RUNBOOK_FIELD[metric.slice(0, colon) as keyof typeof RUNBOOK_FIELD];
      if (colon < 0 || !field) continue;
      const id = metric.slice(colon + 1);
      const rb = into.runbooks.get(id) ?? { recommended: 0, used: 0, regressed: 0 };
      rb[field] += n;
      into.runbooks.set(id, rb);
    }
  }
  return into;
}

export function mergeStats(into: DailyStats, other: DailyStats): DailyStats {
  for (const k of SCALARS) into[k] += other[k];
  for (const [k, n] of other.ttr) into.ttr.set(k, (into.ttr.get(k) ?? 0) + n);
  for (const [id, c] of other.runbooks) {
    const rb = into.runbooks.get(id) ?? { recommended: 0, used: 0, regressed: 0 };
    rb.recommended += c.recommended;
    rb.used += c.used;
    rb.regressed += c.regressed;
    into.runbooks.set(id, rb);
  }
  return into;
}

/** Median time to resolve from the histogram, in seconds; null without resolutions. */
export function medianSeconds(ttr: Map<number, number>): number | null {
  const buckets = [...ttr.entries()].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const at = (rank: number) => {
    let seen = 0;
    for (const [k, n] of buckets) {
      seen += n;
      if (seen >= rank) return bucketMiddle(k);
    }
    return bucketMiddle(buckets[buckets.length - 1][0]);
  };
  return total % 2 ? at((total + 1) / 2) : (at(total / 2) + at(total / 2 + 1)) / 2;
}

/** Reads the days' records (in parallel: one read per day) for the tenant, optionally one service. */
export async function readDailyStats(ports: Ports, tenantId: string, days: string[], service?: string): Promise<Map<string, DailyStats>> {
  const records = await Promise.all(days.map((d) => ports.usage.get(tenantId, d)));
  return new Map(days.map((d, i) => [d, addRecord(emptyStats(), records[i], service)]));
}
