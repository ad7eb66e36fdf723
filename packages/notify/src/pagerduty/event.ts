import type { Severity } from "@ir/core";
import type { Notice } from "../notice";
import type { Sequenced } from "../receiver";
import { truncate } from "../text";

/** PagerDuty Events API v2: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ */

export type PagerDutySeverity = "critical" | "error" | "warning" | "info";
export const PAGERDUTY_SEVERITY: Record<Severity, PagerDutySeverity> = { CRITICAL: "critical", HIGH: "error", MEDIUM: "warning", LOW: "info" };

export const SUMMARY_MAX = 1024;
const LINKS_MAX = 4;

/** One PagerDuty alert per incident: every trigger for it de-duplicates there, and its resolve closes it. */
const DEDUP_PREFIX = "ir:";
export const dedupKey = (incidentId: string) => `${DEDUP_PREFIX}${incidentId}`;

/** Which incident's alert an event opens (trigger) or closes (resolve). */
export const sequenceOf = (event: Pick<PagerDutyEvent, "event_action" | "dedup_key">): Sequenced | null =>
  typeof event.dedup_key === "string" && event.dedup_key.startsWith(DEDUP_PREFIX)
    ? { incidentId: event.dedup_key.slice(DEDUP_PREFIX.length), opens: event.event_action === "trigger" }
    : null;

export type PagerDutyEvent = {
  event_action: "trigger" | "resolve";
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  links?: Array<{ href: string; text: string }>;
  client?: string;
  client_url?: string;
};

const resolve = (incidentId: string): PagerDutyEvent => ({ event_action: "resolve", dedup_key: dedupKey(incidentId) });

const trigger = (n: Notice): PagerDutyEvent => {
  const i = n.incident;
  return {
    event_action: "trigger",
    dedup_key: dedupKey(i.incident_id),
    payload: {
      summary: truncate(n.headline, SUMMARY_MAX),
      source: i.service,
      severity: PAGERDUTY_SEVERITY[i.severity],
      timestamp: i.last_seen,
      component: i.service,
      class: n.change === "flapping_started" ? "flapping" : i.regression_of ? "regression" : "incident",
      custom_details: {
        incident_id: i.incident_id,
        change: n.change,
        severity: i.severity,
        status: i.status,
        occurrences: i.occurrences,
        first_seen: i.created_at,
        last_seen: i.last_seen,
        error: truncate(i.error_message, 2000),
        ...(i.regression_of ? { regression_of: i.regression_of } : {}),
        ...(n.runbook ? { runbook: n.runbook.title, runbook_solution: truncate(n.runbook.solution, 1000) } : {}),
        ...(n.recommendation ? { recommendation: truncate(n.recommendation, 1000) } : {}),
        ...(n.change === "flapping_started" ? { flapping_since: n.context.flapping_since } : {}),
      },
    },
    links: [
      { href: n.link, text: `Incident ${i.incident_id}` },
      ...n.runbooks.slice(0, LINKS_MAX - 1).map((r) => ({ href: r.link, text: `Runbook: ${truncate(r.title, 200)}` })),
    ],
    client: "Incident Responder",
    client_url: n.link,
  };
};

/** The routing key is added at send time, so the queued payload holds no credential of its own. */
export const buildPagerDutyEvent = (n: Notice): PagerDutyEvent | null => {
  switch (n.change) {
    case "opened":
    case "regressed":
    case "escalated": // re-triggering the same dedup_key updates the alert without paging again
    case "flapping_started":
      return trigger(n);
    case "resolved":
      return resolve(n.incident.incident_id);
    case "flapping_stopped": {
      // The alert opened when flapping started belongs to an earlier incident of the lineage: close it. When it
      // is this incident, its own resolve (or its staying open) says the rest.
      const started = n.context.flapping_incident_id;
      return started && started !== n.incident.incident_id ? resolve(started) : null;
    }
    case "recurred":
      return null; // PagerDuty counts repeats itself; an update would only be noise on the alert
  }
};
