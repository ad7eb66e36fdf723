import type { Incident } from "@ir/core";

/** Stated in the response so nobody mistakes an estimate for a measurement. */
export const ASSUMPTIONS = {
  minutes_per_duplicate_triage: 5,
  minutes_saved_per_matched_runbook: 15,
};

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const round = (x: number | null) => (x === null ? null : Math.round(x));

/** Dashboard figures over the incidents created in [from, to). Pure: the route loads, this computes. */
export function computeAnalytics(incidents: Incident[], from: string, to: string) {
  const inWindow = incidents.filter((i) => i.created_at >= from && i.created_at < to);
  const resolved = inWindow.filter((i) => i.status === "RESOLVED" && i.resolved_at);
  const ttr = (i: Incident) => (Date.parse(i.resolved_at!) - Date.parse(i.created_at)) / 1000;
  const byDay = new Map<string, number[]>();
  for (const i of resolved) {
    const d = i.resolved_at!.slice(0, 10);
    byDay.set(d, [...(byDay.get(d) ?? []), ttr(i)]);
  }
  const runbooks = new Map<string, { runbook_id: string; title: string; recommended: number; used: number; resolved: number }>();
  const rb = (id: string, title: string) => {
    let r = runbooks.get(id);
    if (!r) { r = { runbook_id: id, title, recommended: 0, used: 0, resolved: 0 }; runbooks.set(id, r); }
    return r;
  };
  for (const i of inWindow) {
    const top = i.recommended_runbooks[0];
    if (top) rb(top.runbook_id, top.title).recommended++;
    if (i.resolved_runbook_id) {
      const used = rb(i.resolved_runbook_id, i.recommended_runbooks.find((r) => r.runbook_id === i.resolved_runbook_id)?.title ?? i.resolved_runbook_id);
      used.used++;
      if (i.status === "RESOLVED") used.resolved++;
    }
  }
  const duplicates = inWindow.reduce((n, i) => n + i.occurrences - 1, 0);
  const matched = inWindow.filter((i) => i.runbook_matched).length;
  return {
    from, to,
    incidents: { total: inWindow.length, open: inWindow.filter((i) => i.status === "OPEN").length, resolved: resolved.length, regressions: inWindow.filter((i) => i.regression_of).length },
    alarms: inWindow.reduce((n, i) => n + i.occurrences, 0),
    mttr_seconds: { mean: round(mean(resolved.map(ttr))), median: round(median(resolved.map(ttr))) },
    mttr_trend: [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, xs]) => ({ day, mean_seconds: round(mean(xs)), resolved: xs.length })),
    top_incidents: [...inWindow].sort((a, b) => b.occurrences - a.occurrences).slice(0, 10)
      .map((i) => ({ incident_id: i.incident_id, service: i.service, error_message: i.error_message.slice(0, 200), occurrences: i.occurrences, status: i.status, severity: i.severity })),
    runbook_effectiveness: [...runbooks.values()].sort((a, b) => b.recommended + b.used - (a.recommended + a.used)),
    duplicates_prevented: duplicates,
    time_saved_minutes: duplicates * ASSUMPTIONS.minutes_per_duplicate_triage + matched * ASSUMPTIONS.minutes_saved_per_matched_runbook,
    assumptions: ASSUMPTIONS,
  };
}
