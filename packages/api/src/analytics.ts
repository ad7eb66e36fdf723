import { emptyStats, medianSeconds, mergeStats, type DailyStats } from "@ir/match";
import type { Incident } from "@ir/core";

/** Stated in the response (and the README) so nobody mistakes an estimate for a measurement. */
export const ASSUMPTIONS = {
  minutes_per_duplicate_triage: 5,
  minutes_saved_per_matched_runbook: 15,
  notes: [
    "Days are UTC; from and to are whole days, both included.",
    "Each event counts on the day it happened: opened and regressions on the day opened, duplicates on the day they arrived, resolutions and time to resolve on the day resolved.",
    "MTTR is resolved_at - created_at. The mean is exact; the median is read from a log-scale histogram and is within 5%.",
    "time_saved_minutes = duplicates_prevented x minutes_per_duplicate_triage + incidents opened with a matching runbook x minutes_saved_per_matched_runbook.",
    "Runbook effectiveness: recommended = incidents opened with it ranked first; used = resolutions crediting it; regressed = those incidents that came back; resolved = used - regressed (fixes that held).",
    "top_incidents are the most frequent among the 1000 newest incidents opened in the window.",
  ],
};

const DAY_MS = 86_400_000;
export const dayAfter = (day: string, n = 1) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
/** ISO weeks start on Monday; a week is named by its Monday. */
export const weekOf = (day: string) => {
  const d = new Date(`${day}T00:00:00Z`);
  return dayAfter(day, -((d.getUTCDay() + 6) % 7));
};

/** The UTC days from `from` to `to`, both included. */
export const daysBetween = (from: string, to: string): string[] => {
  const out: string[] = [];
  // Counted in ms, not by comparing names: past 9999-12-31 a day's name is "+010000-…", which sorts first.
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
};

const round = (x: number | null) => (x === null ? null : Math.round(x));

const row = (s: DailyStats) => ({
  opened: s.opened,
  regressions: s.regressions,
  duplicates: s.duplicates,
  resolved: s.resolved,
  mttr_mean_seconds: s.resolved ? round(s.ttr_sum / s.resolved) : null,
  mttr_median_seconds: round(medianSeconds(s.ttr)),
});

export interface AnalyticsInput {
  from: string;
  to: string;
  service: string | null;
  /** Every day of the window, in order, with its counters. */
  days: Map<string, DailyStats>;
  /** Incidents opened in the window (a bounded, newest-first sample). */
  recent: Incident[];
}

/** Dashboard figures from the daily counters. Pure: the route reads, this computes. */
export function computeAnalytics({ from, to, service, days, recent }: AnalyticsInput) {
  const total = emptyStats();
  const weeks = new Map<string, DailyStats>();
  for (const [day, s] of days) {
    mergeStats(total, s);
    const w = weekOf(day);
    weeks.set(w, mergeStats(weeks.get(w) ?? emptyStats(), s));
  }
  const runbooks = [...total.runbooks.entries()]
    .map(([runbook_id, c]) => ({ runbook_id, title: runbook_id, recommended: c.recommended, used: c.used, resolved: Math.max(0, c.used - c.regressed), regressed: c.regressed }))
    .sort((a, b) => b.recommended + b.used - (a.recommended + a.used) || a.runbook_id.localeCompare(b.runbook_id))
    .slice(0, 20);
  return {
    from, to, service,
    incidents: { opened: total.opened, regressions: total.regressions, resolved: total.resolved },
    alarms: total.opened + total.duplicates,
    duplicates_prevented: total.duplicates,
    mttr_seconds: { mean: total.resolved ? round(total.ttr_sum / total.resolved) : null, median: round(medianSeconds(total.ttr)) },
    trend: {
      daily: [...days.entries()].map(([day, s]) => ({ day, ...row(s) })),
      weekly: [...weeks.entries()].map(([week, s]) => ({ week, ...row(s) })),
    },
    top_incidents: [...recent].sort((a, b) => b.occurrences - a.occurrences || b.last_seen.localeCompare(a.last_seen)).slice(0, 10)
      .map((i) => ({
        incident_id: i.incident_id, service: i.service, error_message: i.error_message.slice(0, 200), occurrences: i.occurrences,
        status: i.status, severity: i.severity, created_at: i.created_at, last_seen: i.last_seen, regression_of: i.regression_of,
      })),
    runbook_effectiveness: runbooks,
    time_saved_minutes: total.duplicates * ASSUMPTIONS.minutes_per_duplicate_triage + total.matched * ASSUMPTIONS.minutes_saved_per_matched_runbook,
    assumptions: ASSUMPTIONS,
  };
}
export type Analytics = ReturnType<typeof computeAnalytics>;
