import { makeEvent, type IncidentDecided, type StageHandler } from "@ir/core";
import { runbookCatalog } from "@ir/match";
import { similarResolutions } from "./similar-resolutions";

/**
 * Recommendations are written once per incident (new or regression): a duplicate reuses them, which is
 * what keeps the LLM bill proportional to incidents, not alarms.
 */
export const enrichStage: StageHandler = async (event, ports) => {
  const { alarm, outcome, changes } = event.data as IncidentDecided;
  const now = ports.clock.now().toISOString();
  let incident = await ports.incidents.get(alarm.tenant_id, outcome.incident_id);
  const tenant = await ports.tenants.get(alarm.tenant_id);
  if (!incident || !tenant) return [];
  if (outcome.status !== "existing" && incident.recommendations.length === 0) {
    const [vector] = await ports.embedder.embed([incident.template]);
    const pastResolutions = await similarResolutions(ports, incident, vector);
    const catalog = await runbookCatalog(ports, tenant);
    const runbooks = incident.recommended_runbooks.map((r) => ({ ...r, content: catalog.byId.get(r.runbook_id)?.content ?? "" }));
    const recommendations = await ports.writer.write({ incident, runbooks, pastResolutions });
    // Re-read: the incident may have recurred since it was loaded above (AWS runs stages in parallel).
    const fresh = (await ports.incidents.get(alarm.tenant_id, outcome.incident_id)) ?? incident;
    incident = { ...fresh, recommendations, similar_resolutions: pastResolutions };
    await ports.incidents.put(incident);
  }
  await ports.alarms.putOutcome(alarm.tenant_id, { ...outcome, recommendations: incident.recommendations });
  return [makeEvent("incident.changed", alarm.tenant_id, alarm.alarm_id, { incident_id: incident.incident_id, changes, alarm_id: alarm.alarm_id }, now)];
};
