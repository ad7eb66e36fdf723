import { Conflict, makeEvent, type Incident, type IncidentDecided, type Logger, type PastResolution, type Ports, type Recommendation, type StageHandler, type Tenant } from "@ir/core";
import { runbookCatalog } from "@ir/match";
import { ExtractiveWriter } from "./extractive-writer";
import { similarResolutions } from "./similar-resolutions";

const offline = new ExtractiveWriter();
/** Writes of the advice that may lose to a concurrent recurrence before the event goes back to the queue. */
const MERGE_TRIES = 8;

/**
 * Recommendations are written once per incident (new or regression): a duplicate reuses them, which is
 * what keeps the LLM bill proportional to incidents, not alarms.
 *
 * Enrich stands between match and notify, so what it adds must never hold back the page. The lookups
 * (embedding, similar past resolutions from the vector index, the runbook catalog, the writer) are extras:
 * one that fails is logged and left out, and the incident goes on to notify without it. Only the required
 * reads and writes (the incident, the alarm's outcome) fail the event, to be retried.
 */
export const enrichStage: StageHandler = async (event, ports) => {
  const { alarm, outcome, changes } = event.data as IncidentDecided;
  const now = ports.clock.now().toISOString();
  let incident = await ports.incidents.get(alarm.tenant_id, outcome.incident_id);
  const tenant = await ports.tenants.get(alarm.tenant_id);
  if (!incident || !tenant) return [];
  if (outcome.status !== "existing" && incident.recommendations.length === 0) {
    const log = ports.log.child({ stage: "enrich", tenant_id: alarm.tenant_id, incident_id: incident.incident_id });
    const { recommendations, pastResolutions } = await advise(ports, tenant, incident, log);
    // Re-read and merge: on AWS the incident may recur between the read and the write (stages run in parallel),
    // and in a storm it does every few hundred ms. Only the merge is redone, not the advice (an LLM call); handed
    // back to the queue instead, the event ran out of receives and dead-lettered, and the page never went out.
    for (let tries = 1; ; tries++) {
      const fresh: Incident = (await ports.incidents.get(alarm.tenant_id, outcome.incident_id)) ?? incident;
      const merged: Incident = { ...fresh, recommendations, similar_resolutions: pastResolutions };
      incident = merged;
      try {
        await ports.incidents.put(merged);
        break;
      } catch (err) {
        if (!(err instanceof Conflict) || tries >= MERGE_TRIES) throw err;
      }
    }
  }
  await ports.alarms.putOutcome(alarm.tenant_id, { ...outcome, recommendations: incident.recommendations });
  return [makeEvent("incident.changed", alarm.tenant_id, alarm.alarm_id, { incident_id: incident.incident_id, changes, alarm_id: alarm.alarm_id }, now)];
};

/** The best advice the dependencies give now; whatever fails is left out (logged), never thrown. */
async function advise(ports: Ports, tenant: Tenant, incident: Incident, log: Logger): Promise<{ recommendations: Recommendation[]; pastResolutions: PastResolution[] }> {
  const optional = async <T>(what: string, fallback: T, lookup: () => Promise<T>): Promise<T> => {
    try {
      return await lookup();
    } catch (err) {
      log.warn({ err }, `enrich: ${what} unavailable; going on without it`);
      return fallback;
    }
  };
  const pastResolutions = await optional("similar resolutions", [], async () => {
    const [vector] = await ports.embedder.embed([incident.template]);
    return similarResolutions(ports, incident, vector);
  });
  const catalog = await optional("runbook catalog", null, () => runbookCatalog(ports, tenant));
  // Without the catalog the runbooks keep the solution match stored with them, only their full text is missing.
  const runbooks = incident.recommended_runbooks.map((r) => ({ ...r, content: catalog?.byId.get(r.runbook_id)?.content ?? "" }));
  const input = { incident, runbooks, pastResolutions };
  const written = await optional("recommendation writer (using extractive recommendations)", null, () => ports.writer.write(input));
  return { recommendations: written ?? (await offline.write(input)), pastResolutions };
}
