import { readableRunbook } from "@ir/match";
import { Conflict, makeEvent, type Incident, type IncidentDecided, type Logger, type PastResolution, type Ports, type Recommendation, type StageHandler, type Tenant } from "@ir/core";
import { ExtractiveWriter } from "./extractive-writer";
import { similarResolutions } from "./similar-resolutions";

const offline = new ExtractiveWriter();
/** Writes of the advice that may lose to a concurrent recurrence before the event goes back to the queue. */
const MERGE_TRIES = 8;
/**
 * All the extras together may take this long; what has not answered by then is left out. The OpenAI client retries
 * and honours Retry-After for up to minutes: waited for, the page would be late, and a Lambda past its deadline
 * hands the event back for a redelivery minutes later, which asks the model again.
 */
export const ADVICE_BUDGET_MS = 15_000;
/** After advice that missed a lookup, the first recurrence this long after asks again (once, not per duplicate). */
export const ADVICE_RETRY_MS = 10 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const first = outcome.status !== "existing" && incident.recommendations.length === 0;
  // A transient outage must not leave the incident's advice degraded for good: a later recurrence completes it.
  let retry = !first && incident.advice_retry_after !== undefined && Date.parse(incident.advice_retry_after) <= Date.parse(now);
  // Claimed first, by moving the retry time on under the incident's lock: on AWS every duplicate arriving past it
  // would otherwise ask the model too. One that loses the claim leaves the retry to the winner.
  if (retry) retry = await claimRetry(ports, incident, now);
  if (first || retry) {
    const log = ports.log.child({ stage: "enrich", tenant_id: alarm.tenant_id, incident_id: incident.incident_id });
    const advice = await advise(ports, tenant, incident, log);
    // Re-read and merge: on AWS the incident may recur between the read and the write (stages run in parallel),
    // and in a storm it does every few hundred ms. Only the merge is redone, not the advice (an LLM call); handed
    // back to the queue instead, the event ran out of receives and dead-lettered, and the page never went out.
    for (let tries = 1; ; tries++) {
      const fresh: Incident = (await ports.incidents.get(alarm.tenant_id, outcome.incident_id)) ?? incident;
      const merged = withAdvice(fresh, advice, now);
      incident = merged;
      try {
        await ports.incidents.put(merged);
        break;
      } catch (err) {
        if (!(err instanceof Conflict) || tries >= MERGE_TRIES) throw err;
        // A storm recurs the incident every few tens of ms: back off a random while, so this write finds a gap.
        await sleep(Math.random() * 25 * tries);
      }
    }
  }
  await ports.alarms.putOutcome(alarm.tenant_id, { ...outcome, recommendations: incident.recommendations });
  return [makeEvent("incident.changed", alarm.tenant_id, alarm.alarm_id, { incident_id: incident.incident_id, changes, alarm_id: alarm.alarm_id }, now)];
};

async function claimRetry(ports: Ports, incident: Incident, now: string): Promise<boolean> {
  try {
    await ports.incidents.put({ ...incident, advice_retry_after: retryAt(now) });
    return true;
  } catch (err) {
    if (err instanceof Conflict) return false;
    throw err;
  }
}

type Part = "similar" | "runbook" | "writer";
interface Advice { recommendations: Recommendation[]; pastResolutions: PastResolution[]; missed: ReadonlySet<Part> }

const retryAt = (now: string) => new Date(Date.parse(now) + ADVICE_RETRY_MS).toISOString();

/** The incident with this advice; a part whose lookup failed keeps what an earlier try found. */
function withAdvice(incident: Incident, a: Advice, now: string): Incident {
  const { advice_retry_after: _, ...rest } = incident;
  return {
    ...rest,
    recommendations: a.missed.has("writer") && incident.recommendations.length ? incident.recommendations : a.recommendations,
    similar_resolutions: a.missed.has("similar") && incident.similar_resolutions.length ? incident.similar_resolutions : a.pastResolutions,
    ...(a.missed.size ? { advice_retry_after: retryAt(now) } : {}),
  };
}

/** The best advice the dependencies give now; whatever fails is left out (logged, and named in `missed`), never thrown. */
async function advise(ports: Ports, tenant: Tenant, incident: Incident, log: Logger): Promise<Advice> {
  const missed = new Set<Part>();
  const deadline = Date.now() + ADVICE_BUDGET_MS;
  const optional = async <T>(part: Part, what: string, fallback: T, lookup: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within the ${ADVICE_BUDGET_MS} ms enrich allows`)), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([lookup(), late]);
    } catch (err) {
      log.warn({ err }, `enrich: ${what} unavailable; going on without it`);
      missed.add(part);
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  };
  const pastResolutions = await optional("similar", "similar resolutions", [], async () => {
    const [vector] = await ports.embedder.embed([incident.template]);
    return similarResolutions(ports, incident, vector);
  });
  // The recommended runbooks' full text: a read of each (three at most), not of the whole catalog. Without it they
  // keep the solution match stored with them.
  const runbooks = await Promise.all(incident.recommended_runbooks.map(async (r) => ({ ...r, content: await optional("runbook", `runbook ${r.runbook_id}`, "", async () => (await readableRunbook(ports, tenant, r.runbook_id))?.content ?? "") })));
  const input = { incident, runbooks, pastResolutions };
  const written = await optional("writer", "recommendation writer (using extractive recommendations)", null, () => ports.writer.write(input));
  return { recommendations: written ?? (await offline.write(input)), pastResolutions, missed };
}
