import { tenantNamespace, truncate, type Incident, type PastResolution, type Ports } from "@ir/core";

const LOOK_AT = 5;
/** Copied into every new incident of the service (rewritten at each recurrence) and into pages: the gist, not an essay. */
const RESOLUTION_CHARS = 500;

/** How the team fixed incidents like this one before: nearest RESOLVED incidents of the same service. */
export async function similarResolutions(ports: Ports, incident: Incident, vector: Float32Array): Promise<PastResolution[]> {
  const matches = await ports.vectors.query(tenantNamespace(incident.tenant_id), vector, {
    topK: LOOK_AT, filter: { type: "incident", service: incident.service, status: "RESOLVED" },
  });
  const out: PastResolution[] = [];
  for (const m of matches) {
    if (m.id === incident.incident_id || m.score < ports.embedder.thresholds.related) continue;
    const past = await ports.incidents.get(incident.tenant_id, m.id);
    if (!past?.resolution || !past.resolved_at) continue;
    out.push({
      incident_id: past.incident_id, similarity: Math.round(m.score * 1000) / 1000, resolution: truncate(past.resolution, RESOLUTION_CHARS),
      resolved_by: past.resolved_by ?? "unknown", resolved_at: past.resolved_at, runbook_id: past.resolved_runbook_id,
    });
  }
  return out;
}
