import { makeEvent, tenantNamespace, type Incident, type PipelineEvent, type Ports } from "@ir/core";
import { appendHistory } from "./history";
import { recordResolution } from "./learning";
import { invalidateCatalog } from "./catalog";
import { countResolution } from "./daily-stats";

export interface Resolution { resolution: string; resolved_by: string; runbook_id?: string | null }

/**
 * One way to resolve, whoever asks (the API, an Alertmanager "resolved", a CloudWatch OK): credit the
 * runbook, mark the vector so later matches see a RESOLVED incident (regressions), audit, notify.
 */
export async function resolveIncident(ports: Ports, incident: Incident, r: Resolution, cause: string): Promise<{ incident: Incident; events: PipelineEvent[] }> {
  if (incident.status === "RESOLVED") return { incident, events: [] };
  const now = ports.clock.now().toISOString();
  const resolved = appendHistory(
    { ...incident, status: "RESOLVED", resolution: r.resolution, resolved_by: r.resolved_by, resolved_at: now, resolved_runbook_id: r.runbook_id ?? null, flapping: false },
    { timestamp: now, event: "resolved", user: r.resolved_by, ...(r.resolution ? { comment: r.resolution } : {}) },
  );
  await ports.incidents.put(resolved);
  await countResolution(ports, resolved);
  await ports.vectors.update(tenantNamespace(incident.tenant_id), incident.incident_id, { status: "RESOLVED" });
  await recordResolution(ports, incident.tenant_id, r.runbook_id ?? null, incident.recommended_runbooks[0]?.runbook_id ?? null);
  // The tenant's own runbook carries its count on the document (DESIGN §5); global ones are counted per tenant in learning.
  const own = r.runbook_id ? await ports.runbooks.get(incident.tenant_id, r.runbook_id) : null;
  if (own) await ports.runbooks.put({ ...own, success_count: own.success_count + 1 });
  invalidateCatalog(incident.tenant_id);
  await ports.audit.append({
    event_id: ports.newId("aud"), tenant_id: incident.tenant_id, at: now, actor: r.resolved_by, action: "incident.resolved",
    target: incident.incident_id, details: { runbook_id: r.runbook_id ?? null },
  });
  const event = makeEvent("incident.changed", incident.tenant_id, `${cause}:resolve`, { incident_id: incident.incident_id, changes: ["resolved"] }, now);
  return { incident: resolved, events: [event] };
}
