import type { PipelineEvent } from "@ir/core";
import type { S3IncidentStore } from "../adapters/incident-store";

/**
 * The (tenant, key) an ordered stage serializes on. Dedup decisions are per service (an alarm only ever
 * merges into an incident of its own service), so a resolution takes the key of the incident it resolves:
 * it must not interleave with a recurrence of that same incident.
 */
export const orderKeyOf = async (event: PipelineEvent, incidents: S3IncidentStore): Promise<string> => {
  if (event.type === "alarm.embedded") return `svc:${(event as PipelineEvent<"alarm.embedded">).data.alarm.service}`;
  if (event.type === "alarm.received") return `svc:${(event as PipelineEvent<"alarm.received">).data.service}`;
  if (event.type === "alarm.resolved") {
    const { source_key } = (event as PipelineEvent<"alarm.resolved">).data;
    const incidentId = await incidents.findBySourceKey(event.tenant_id, source_key);
    const head = incidentId ? await incidents.head(event.tenant_id, incidentId) : undefined;
    return head ? `svc:${head.service as string}` : `src:${source_key}`;
  }
  return `evt:${event.id}`;
};
