import {
  decodeVector, escalateForRegression, makeEvent, maxSeverity, monthOf, severityRank, tenantNamespace, timesOrderStates,
  type AlarmEmbedded, type Change, type Incident, type Outcome, type PipelineEvent, type Ports, type SourceResolution, type StageHandler, type Tenant,
} from "@ir/core";
import { decide, type Candidate, type Decision } from "./decide";
import { runbookCatalog } from "./catalog";
import { appendHistory } from "./history";
import { resolveIncident } from "./resolve";
import { countDecision } from "./daily-stats";
import { runbookQuery } from "./runbook-query";

const CANDIDATES = 10;
const RUNBOOKS_SHOWN = 3;

/**
 * The dedup / regression decision. Decisions for one (tenant, service) are serialized by the runtime
 * (one ordered worker embedded; a lease on AWS), so reading the candidates and writing the result cannot race.
 */
export const matchStage: StageHandler = async (event, ports) => {
  if (event.type === "alarm.resolved") return resolveFromSource(event.data as SourceResolution, ports, event.id);
  return decideAlarm(event.data as AlarmEmbedded, ports);
};

async function resolveFromSource(r: SourceResolution, ports: Ports, cause: string) {
  const tenant = await ports.tenants.get(r.tenant_id);
  if (!tenant || !tenant.settings.auto_resolve) return [];
  const id = await ports.incidents.findBySourceKey(r.tenant_id, r.source_key);
  const incident = id ? await ports.incidents.get(r.tenant_id, id) : null;
  if (!incident) {
    // Its firing is not decided yet (on AWS it goes through embed, which may be waiting out a rate limit): kept for
    // the decision, which closes the incident it opens. Dropped, the incident would stay open with its alert over.
    await ports.kv.put<EarlyResolution>(r.tenant_id, earlyKey(r.source_key), { occurred_at: r.occurred_at, resolved_by: r.resolved_by, resolution: r.resolution, cause });
    return [];
  }
  const resolution = { resolution: r.resolution, resolved_by: r.resolved_by };
  // Already resolved: a redelivery of this event (or any resolve) completes what a failure cut short; else nothing.
  // The key's resolution is still recorded: a firing from before it, delivered after, must not open a regression.
  if (incident.status !== "OPEN") {
    const heard = resolutionHeard(incident, r);
    if (heard !== incident) await ports.incidents.put(heard);
    return (await resolveIncident(ports, heard, resolution, cause)).events;
  }
  // Older than the key's latest firing, it ended an earlier one and was delivered late (an EventBridge retry after a
  // 429, an unordered queue): the alert fires on. Applied, it would close an incident whose alarm is still on.
  const firedAt = incident.source_fired_at?.[r.source_key];
  if (firedAt && Date.parse(firedAt) > Date.parse(r.occurred_at)) return [];
  // More alerts folded in than it tracks: which of them still fire is unknown, so a person resolves it.
  if (incident.source_keys_overflowed) return [];
  // Another source key of the incident still fires (a sibling alert of the same group, folded into it by dedup):
  // resolving now would page a regression when that one fires again.
  const resolvedKeys = addKey(incident.resolved_source_keys ?? [], r.source_key);
  if (incident.source_keys.some((k) => !resolvedKeys.includes(k))) {
    await ports.incidents.put({ ...resolutionHeard(incident, r), resolved_source_keys: resolvedKeys });
    return [];
  }
  return (await resolveIncident(ports, { ...resolutionHeard(incident, r), resolved_source_keys: [] }, resolution, cause)).events;
}

/**
 * The incident with the key's latest resolution time recorded (the same object when it knew it already, or when
 * the time would never be read: a key past those it tracks, or one whose source's times do not order its states).
 */
function resolutionHeard(incident: Incident, r: SourceResolution): Incident {
  if (!timesOrderStates(r.source_key) || !incident.source_keys.includes(r.source_key)) return incident;
  const last = incident.source_resolved_at?.[r.source_key];
  if (last && Date.parse(last) >= Date.parse(r.occurred_at)) return incident;
  return { ...incident, source_resolved_at: { ...incident.source_resolved_at, [r.source_key]: r.occurred_at } };
}

/**
 * A firing older than its key's last resolution, from a source whose times order its states (CloudWatch): the
 * alarm was already OK again when this reached us. Taken as a regression, it would page for an alarm that is OK.
 */
function firedBeforeResolution(incident: Incident, alarm: AlarmEmbedded["alarm"]): boolean {
  const key = alarm.source_key;
  const resolvedAt = key && timesOrderStates(key) ? incident.source_resolved_at?.[key] : undefined;
  return !!resolvedAt && Date.parse(resolvedAt) >= Date.parse(alarm.occurred_at);
}

/** A source's resolution that found no incident for its key yet, kept per tenant under earlyKey. */
interface EarlyResolution { occurred_at: string; resolved_by: string; resolution: string; cause: string }
const earlyKey = (sourceKey: string) => `early-resolution:${sourceKey}`;

const candidateOf = (i: Incident, score: number): Candidate => ({ incident_id: i.incident_id, status: i.status, template: i.template, score, created_at: i.created_at });

async function decideAlarm(e: AlarmEmbedded, ports: Ports): Promise<PipelineEvent[]> {
  const { alarm } = e;
  const tenant = await ports.tenants.get(alarm.tenant_id);
  if (!tenant) return []; // erased while the alarm was queued: nothing left to attach it to
  const ns = tenantNamespace(tenant.tenant_id);
  const hitId = await ports.incidents.findByFingerprint(tenant.tenant_id, alarm.service, e.fingerprint);
  const hit = hitId ? await ports.incidents.get(tenant.tenant_id, hitId) : null;
  // Embed skips known fingerprints; the fingerprint may have been unindexed since (e.g. a purge).
  let embedded: Float32Array | null = e.vector ? decodeVector(e.vector) : null;
  const vector = async () => (embedded ??= (await ports.embedder.embed([e.masked]))[0]);
  // A hit on a resolved incident still looks for its open regression: the variants that folded into the old
  // incident each kept a fingerprint pointing at it, and each would otherwise open a regression of its own.
  const matches = hit?.status === "OPEN" ? [] : await ports.vectors.query(ns, await vector(), { topK: CANDIDATES, filter: { type: "incident", service: alarm.service } });
  const candidates: Candidate[] = matches.map((m) => ({
    incident_id: m.id, status: m.metadata.status as Candidate["status"], template: String(m.metadata.template ?? ""), score: m.score, created_at: String(m.metadata.created_at ?? ""),
  }));
  const decision = decide({ masked: e.masked, fingerprintHit: hit ? candidateOf(hit, 1) : null, candidates, thresholds: ports.embedder.thresholds });
  const now = ports.clock.now().toISOString();
  const target = decision.kind === "attach" ? await ports.incidents.get(tenant.tenant_id, decision.target.incident_id) : null;
  // On AWS an event whose claim expired mid-write is run again: an alarm already in the incident's history
  // is answered as it was decided, not counted a second time (the embedded runtime commits effects and ack together).
  const applied = target?.history.find((h) => h.alarm_id === alarm.alarm_id && (h.event === "created" || h.event === "recurred"));
  if (target && applied) return replayed(ports, e, target, applied.event === "recurred", hitId, decision, now);

  let incident: Incident;
  let status: Outcome["status"];
  const changes: Change[] = [];
  if (decision.kind === "attach" && target && target.status === "OPEN") {
    incident = recur(target, e, decision, now);
    status = "existing";
    changes.push("recurred");
    if (severityRank(incident.severity) > severityRank(target.severity)) changes.push("escalated");
    await ports.incidents.put(incident);
    if (incident.template !== target.template) await ports.vectors.update(ns, incident.incident_id, { template: incident.template });
  } else if (decision.kind === "attach" && target && firedBeforeResolution(target, alarm)) {
    // Counted as an occurrence of the incident it belongs to, which stays resolved; nothing is announced after a resolve.
    incident = appendHistory(
      { ...target, occurrences: target.occurrences + 1 },
      { timestamp: now, event: "recurred", user: "system", alarm_id: alarm.alarm_id, match: { method: decision.method, score: round(decision.score) }, comment: "fired before its source's resolution; delivered late" },
    );
    status = "existing";
    changes.push("recurred");
    await ports.incidents.put(incident);
  } else if (decision.kind === "attach" && target) {
    incident = await open(ports, tenant, e, decision, await vector(), now, target);
    status = "regression";
    changes.push("regressed");
    const linked = appendHistory(target, { timestamp: now, event: "regression_opened", user: "system", incident_id: incident.incident_id });
    await ports.incidents.put(linked);
  } else {
    incident = await open(ports, tenant, e, decision, await vector(), now, null);
    status = "new";
    changes.push("opened");
  }
  // Counted after the incident writes: on AWS a write that loses its optimistic lock is retried, and must not count twice.
  await ports.usage.add(tenant.tenant_id, monthOf(now), "alarms", 1);
  await countDecision(ports, status, incident, status === "regression" ? target : null);
  if (hitId !== incident.incident_id) await ports.incidents.indexFingerprint(tenant.tenant_id, alarm.service, e.fingerprint, incident.incident_id);
  if (alarm.source_key && !(target?.incident_id === incident.incident_id && target.source_keys.includes(alarm.source_key))) {
    await ports.incidents.indexSourceKey(tenant.tenant_id, alarm.source_key, incident.incident_id);
  }
  // The trail records what changed: an incident opened, regressed or escalated. A plain recurrence changes a
  // counter; it is in the incident's occurrences and history and the alarm's own outcome, and auditing it too
  // would add a row per duplicate (billions a year at a few thousand alarms/s).
  const audited = status === "existing" ? (changes.includes("escalated") ? "escalated" : null) : changes[0];
  if (audited) {
    await ports.audit.append({
      event_id: ports.newId("aud"), tenant_id: tenant.tenant_id, at: now, actor: "system", action: `incident.${audited}`,
      target: incident.incident_id, details: { alarm_id: alarm.alarm_id, match: { method: decision.method, score: round(decision.score) } },
    });
  }
  if (status === "new" && alarm.source_key && tenant.settings.auto_resolve) {
    // The source said resolved before this firing was decided (see resolveFromSource): it opens already over.
    const early = await ports.kv.get<EarlyResolution>(tenant.tenant_id, earlyKey(alarm.source_key));
    if (early && Date.parse(early.occurred_at) >= Date.parse(alarm.occurred_at)) {
      const resolved = await resolveIncident(ports, incident, { resolution: early.resolution, resolved_by: early.resolved_by }, early.cause);
      return [decided(e, resolved.incident, status, changes, decision, now), ...resolved.events];
    }
  }

  return [decided(e, incident, status, changes, decision, now)];
}

function decided(e: AlarmEmbedded, incident: Incident, status: Outcome["status"], changes: Change[], decision: Decision, now: string): PipelineEvent {
  const outcome: Outcome = {
    alarm_id: e.alarm.alarm_id, status, incident_id: incident.incident_id, occurrences: incident.occurrences, severity: incident.severity,
    ...(incident.regression_of ? { regression_of: incident.regression_of } : {}),
    ...(decision.related.length ? { related_incidents: decision.related } : {}),
    runbooks: incident.recommended_runbooks.map(({ runbook_id, title, similarity }) => ({ runbook_id, title, similarity })),
    recommendations: [],
    match: { method: decision.method, score: round(decision.score) },
  };
  return makeEvent("incident.decided", e.alarm.tenant_id, e.alarm.alarm_id, { alarm: e.alarm, outcome, changes }, now);
}

/** The same answer and events as the first run (downstream stages drop what they already handled), and the lookups it may not have written. */
async function replayed(ports: Ports, e: AlarmEmbedded, incident: Incident, recurred: boolean, hitId: string | null, decision: Decision, now: string) {
  const { alarm } = e;
  if (hitId !== incident.incident_id) await ports.incidents.indexFingerprint(alarm.tenant_id, alarm.service, e.fingerprint, incident.incident_id);
  if (alarm.source_key) await ports.incidents.indexSourceKey(alarm.tenant_id, alarm.source_key, incident.incident_id);
  const status: Outcome["status"] = recurred ? "existing" : incident.regression_of ? "regression" : "new";
  const changes: Change[] = [recurred ? "recurred" : incident.regression_of ? "regressed" : "opened"];
  return [decided(e, incident, status, changes, decision, now)];
}

function recur(target: Incident, e: AlarmEmbedded, d: Decision & { kind: "attach" }, now: string): Incident {
  const severity = maxSeverity(target.severity, e.alarm.severity);
  // A firing older than its key's last resolution is over: it counts, but its key stays resolved (un-resolved, the
  // incident would wait for an OK that already came, and stay open).
  const late = firedBeforeResolution(target, e.alarm);
  let next = appendHistory(
    {
      ...target, occurrences: target.occurrences + 1, last_seen: now, severity, template: d.template, ...(late ? {} : firedBy(target, e.alarm)),
      // Firing again: no longer among the keys that said resolved.
      ...(!late && target.resolved_source_keys?.length ? { resolved_source_keys: target.resolved_source_keys.filter((k) => k !== e.alarm.source_key) } : {}),
    },
    { timestamp: now, event: "recurred", user: "system", alarm_id: e.alarm.alarm_id, match: { method: d.method, score: round(d.score) } },
  );
  if (severity !== target.severity) next = appendHistory(next, { timestamp: now, event: "escalated", user: "system", comment: `${target.severity} → ${severity}` });
  return next;
}

async function open(ports: Ports, tenant: Tenant, e: AlarmEmbedded, d: Decision, vector: Float32Array, now: string, regressionOf: Incident | null): Promise<Incident> {
  const { alarm } = e;
  const catalog = await runbookCatalog(ports, tenant);
  const ranked = catalog.index.search(runbookQuery(alarm), vector, RUNBOOKS_SHOWN);
  const best = ranked[0];
  // Escalated from this alarm's severity, and never below its predecessor's: escalated from the predecessor's own
  // (already escalated) severity instead, a flapping LOW alert became CRITICAL at its second regression.
  const severity = regressionOf ? maxSeverity(escalateForRegression(alarm.severity), regressionOf.severity) : alarm.severity;
  const incident: Incident = {
    incident_id: ports.newId("inc"), tenant_id: tenant.tenant_id, error_message: alarm.error, service: alarm.service, severity, status: "OPEN",
    runbook_matched: !!best && best.similarity >= ports.embedder.thresholds.runbook,
    runbook_similarity: best ? round(best.similarity) : 0,
    recommended_runbooks: ranked.map((r) => ({ ...r, similarity: round(r.similarity) })),
    recommendations: [], similar_resolutions: [], related_incidents: d.related,
    created_at: now, last_seen: now, occurrences: 1,
    history: [
      { timestamp: now, event: "created", user: "system", alarm_id: alarm.alarm_id, match: { method: d.method, score: round(d.score) } },
      ...(regressionOf ? [{ timestamp: now, event: "regressed" as const, user: "system", incident_id: regressionOf.incident_id }] : []),
    ],
    resolution: null, resolved_at: null, resolved_by: null, resolved_runbook_id: null,
    regression_of: regressionOf?.incident_id ?? null,
    fingerprint: e.fingerprint, template: d.kind === "attach" ? d.template : e.masked, source_keys: [], flapping: false,
    ...firedBy({ source_keys: [] }, alarm),
  };
  await ports.incidents.put(incident);
  await ports.vectors.upsert(tenantNamespace(tenant.tenant_id), [{
    id: incident.incident_id, vector,
    metadata: {
      type: "incident", incident_id: incident.incident_id, tenant_id: tenant.tenant_id, service: alarm.service,
      s3_key: `${tenantNamespace(tenant.tenant_id)}/incidents/${incident.incident_id}.json`, status: "OPEN", severity,
      created_at: now, last_seen: now, occurrences: 1, template: incident.template,
    },
  }]);
  await ports.usage.add(tenant.tenant_id, monthOf(now), "incidents", 1);
  return incident;
}

/**
 * Source keys one incident tracks (the alerts of a group folded into it). Past this many it tracks no more and
 * stops resolving itself from sources: resolved when the tracked ones were, it would close with others firing.
 */
const MAX_SOURCE_KEYS = 100;

const addKey = (keys: string[], key: string) => (keys.includes(key) ? keys : [...keys, key]);

/** What an alarm's firing changes in its incident's record of source keys: the key, and when it last fired. */
function firedBy(i: Pick<Incident, "source_keys" | "source_fired_at">, alarm: AlarmEmbedded["alarm"]): Partial<Incident> {
  const key = alarm.source_key;
  if (!key) return {};
  const known = i.source_keys.includes(key);
  if (!known && i.source_keys.length >= MAX_SOURCE_KEYS) return { source_keys_overflowed: true };
  const last = i.source_fired_at?.[key];
  return {
    ...(known ? {} : { source_keys: [...i.source_keys, key] }),
    ...(last && Date.parse(last) >= Date.parse(alarm.occurred_at) ? {} : { source_fired_at: { ...i.source_fired_at, [key]: alarm.occurred_at } }),
  };
}
const round = (n: number) => Math.round(n * 1000) / 1000;
