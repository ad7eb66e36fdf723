import type { Notice } from "../notice";
import { truncate } from "../text";

/** Bumped when a field changes meaning, so receivers can tell the shapes apart. */
export const WEBHOOK_VERSION = 1;
const ERROR_MAX = 4000;
const RUNBOOKS_MAX = 3;

export type WebhookPayload = ReturnType<typeof buildWebhookPayload>;

export const buildWebhookPayload = (n: Notice) => {
  const i = n.incident;
  return {
    version: WEBHOOK_VERSION,
    type: `incident.${n.change}`,
    change: n.change,
    at: n.at,
    headline: n.headline,
    link: n.link,
    incident: {
      incident_id: i.incident_id,
      service: i.service,
      severity: i.severity,
      status: i.status,
      error_message: truncate(i.error_message, ERROR_MAX),
      occurrences: i.occurrences,
      created_at: i.created_at,
      last_seen: i.last_seen,
      resolved_at: i.resolved_at,
      resolved_by: i.resolved_by,
      resolution: i.resolution,
      regression_of: i.regression_of,
    },
    runbooks: n.runbooks.slice(0, RUNBOOKS_MAX).map((r) => ({ runbook_id: r.runbook_id, title: r.title, similarity: r.similarity, link: r.link })),
    recommendation: n.recommendation,
    context: {
      previous_severity: n.context.previous_severity,
      new_occurrences: n.context.new_occurrences,
      held: n.context.held,
      flapping_since: n.context.flapping_since,
    },
  };
};
