import type { Change, Incident, RecommendedRunbook } from "@ir/core";
import type { NoticeContext } from "./policy";
import { firstLine, truncate } from "./text";

export type LinkedRunbook = RecommendedRunbook & { link: string };

/**
 * What one notification says, before any receiver formats it: every channel tells the same story,
 * only the shape differs.
 */
export interface Notice {
  change: Change;
  incident: Incident;
  context: NoticeContext;
  /** One specific line: what happened, where, and to what. */
  headline: string;
  /** The error's first meaningful line. */
  summary: string;
  link: string;
  /** The resolved incident this one regresses, when it does. */
  regressionLink: string | null;
  /** Recommended runbooks, best first (match keeps them ranked), each with its dashboard link. */
  runbooks: LinkedRunbook[];
  runbook: LinkedRunbook | null;
  recommendation: string | null;
  at: string;
}

const SUMMARY_MAX = 200;

export const incidentLink = (publicUrl: string, incidentId: string) =>
  `${publicUrl.replace(/\/+$/, "")}/dashboard#/incidents/${encodeURIComponent(incidentId)}`;

export const runbookLink = (publicUrl: string, runbookId: string) =>
  `${publicUrl.replace(/\/+$/, "")}/dashboard#/runbooks/${encodeURIComponent(runbookId)}`;

export const toNotice = (change: Change, incident: Incident, context: NoticeContext, publicUrl: string, now: Date): Notice => {
  const summary = truncate(firstLine(incident.error_message), SUMMARY_MAX);
  const runbooks = incident.recommended_runbooks.map((r) => ({ ...r, link: runbookLink(publicUrl, r.runbook_id) }));
  return {
    change,
    incident,
    context,
    headline: headline(change, incident, context, summary),
    summary,
    link: incidentLink(publicUrl, incident.incident_id),
    regressionLink: incident.regression_of ? incidentLink(publicUrl, incident.regression_of) : null,
    runbooks,
    runbook: runbooks[0] ?? null,
    recommendation: incident.recommendations[0]?.text ?? null,
    at: now.toISOString(),
  };
};

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

const headline = (change: Change, i: Incident, c: NoticeContext, summary: string): string => {
  const where = `${i.service}: ${summary}`;
  switch (change) {
    case "opened": return `${i.severity} in ${where}`;
    case "regressed": return `Regression (${i.severity}) in ${where}`;
    case "escalated": return `Escalated ${c.previous_severity ? `${c.previous_severity} → ` : "to "}${i.severity} in ${where}`;
    case "recurred": return `${plural(c.new_occurrences, "more occurrence")} (${i.occurrences} total) in ${where}`;
    case "resolved": return `Resolved in ${where}`;
    case "flapping_started": return `Flapping (${i.severity}) in ${where}`;
    case "flapping_stopped": return `Flapping stopped (now ${i.status === "OPEN" ? "open" : "resolved"}) in ${where}`;
  }
};

export const describeFlapping = (n: Notice): string => {
  const quiet = plural(Math.round(n.context.quiet_ms / 60_000), "minute");
  return n.change === "flapping_started"
    ? `This incident keeps firing and resolving. Further notifications are held until it stays quiet for ${quiet}; one message will say when it settles.`
    : `It has been quiet for ${quiet} or more. ${plural(n.context.held, "change")} held since ${n.context.flapping_since ?? "flapping started"}. The incident is now ${n.incident.status}.`;
};
