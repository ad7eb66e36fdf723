import { makeEvent, tenantNamespace, type Incident, type PipelineEvent, type Ports } from "@ir/core";
import { appendHistory } from "./history";
import { recordResolution, STATS_PERIOD } from "./learning";
import { invalidateCatalog } from "./catalog";
import { countCredit, countResolution, resolutionDay } from "./daily-stats";

export interface Resolution { resolution: string; resolved_by: string; runbook_id?: string | null }

type Step = NonNullable<Incident["resolution_pending"]>;

/**
 * One way to resolve, whoever asks (the API, an Alertmanager "resolved", a CloudWatch OK): credit the
 * runbook, mark the vector so later matches see a RESOLVED incident (regressions), audit, notify.
 *
 * `cause` names this resolution (the source event's id, or a digest of the API request): asked again with the
 * same cause (a redelivery, a client retry after the publish failed) it answers with the same event again.
 *
 * On AWS the steps are separate writes. The incident is written RESOLVED first, marked `resolution_pending`;
 * the other steps follow and the mark is cleared last. A failure in between leaves the mark, and the next resolve
 * of the incident (the retry) completes the steps instead of seeing "already resolved" and doing nothing.
 *
 * An incident already resolved without a runbook (a source resolved it first, with auto-resolve on) takes the
 * runbook a later resolve names: recorded and credited once; naming one again credits nothing.
 */
export async function resolveIncident(ports: Ports, incident: Incident, r: Resolution, cause: string): Promise<{ incident: Incident; events: PipelineEvent[] }> {
  const now = ports.clock.now().toISOString();
  if (incident.status !== "RESOLVED") {
    const resolved = appendHistory(
      {
        ...incident, status: "RESOLVED", resolution: r.resolution, resolved_by: r.resolved_by, resolved_at: now, resolved_runbook_id: r.runbook_id ?? null,
        flapping: false, resolution_cause: cause, resolution_pending: "resolve",
      },
      { timestamp: now, event: "resolved", user: r.resolved_by, ...(r.resolution ? { comment: r.resolution } : {}) },
    );
    await ports.incidents.put(resolved);
    return complete(ports, resolved, now);
  }
  const events: PipelineEvent[] = [];
  if (incident.resolution_pending) {
    // An earlier resolve stopped after the status write: finish it first, whoever asks now.
    const done = await complete(ports, incident, now);
    incident = done.incident;
    events.push(...done.events);
  } else if (incident.resolution_cause === cause) {
    // The same resolution again, all done: its event may not have been published, so it is emitted again (same id).
    events.push(resolvedEvent(incident, now));
  }
  if (r.runbook_id && !incident.resolved_runbook_id) {
    const credited = appendHistory(
      { ...incident, resolution: r.resolution, resolved_by: r.resolved_by, resolved_runbook_id: r.runbook_id, resolution_pending: "credit" },
      { timestamp: now, event: "runbook_credited", user: r.resolved_by, ...(r.resolution ? { comment: r.resolution } : {}) },
    );
    await ports.incidents.put(credited);
    incident = (await complete(ports, credited, now)).incident;
  }
  return { incident, events };
}

/** When the status write of a step happened (an incident is resolved and credited at most once). */
const stepTime = (incident: Incident, step: Step): string | undefined =>
  step === "resolve" ? incident.resolved_at ?? undefined : incident.history.findLast((h) => h.event === "runbook_credited")?.timestamp;

const resolvedEvent = (incident: Incident, now: string) =>
  makeEvent("incident.changed", incident.tenant_id, `${incident.resolution_cause ?? incident.incident_id}:resolve`, { incident_id: incident.incident_id, changes: ["resolved"] }, now);

/**
 * The steps after the status write, then the mark cleared. Idempotent ones first: a retry after a failure of the
 * vector index (the likeliest, an external service) redoes them and counts once.
 */
async function complete(ports: Ports, incident: Incident, now: string): Promise<{ incident: Incident; events: PipelineEvent[] }> {
  const step: Step = incident.resolution_pending ?? "resolve";
  const tenantId = incident.tenant_id;
  const runbookId = incident.resolved_runbook_id;
  // Counted once however often the step is retried: the token lives until the mark is cleared, below.
  const once = `${incident.incident_id}:${step}`;
  if (step === "resolve") await ports.vectors.update(tenantNamespace(tenantId), incident.incident_id, { status: "RESOLVED" });
  // Named by the step and dated when it happened, so a redo finds its entry there (an append-only log keeps the first).
  await ports.audit.append({
    event_id: `aud_${incident.incident_id}_${step}`, tenant_id: tenantId, at: stepTime(incident, step) ?? now, actor: incident.resolved_by ?? "system",
    action: step === "resolve" ? "incident.resolved" : "incident.runbook_credited", target: incident.incident_id, details: { runbook_id: runbookId },
  });
  await (step === "resolve" ? countResolution(ports, incident, once) : countCredit(ports, incident, once));
  // Every runbook's successes are per-tenant counters (own and global alike, DESIGN §5's success_count is read from them).
  await recordResolution(ports, tenantId, runbookId, incident.recommended_runbooks[0]?.runbook_id ?? null, once);
  if (runbookId) invalidateCatalog(tenantId);
  const { resolution_pending: _, ...rest } = incident;
  const done: Incident = rest;
  await ports.incidents.put(done);
  // A crash before these leaves a token behind, which is harmless: the step is recorded as done above.
  const day = resolutionDay(done);
  await Promise.all([...(day ? [ports.usage.forget(tenantId, day, once)] : []), ...(runbookId ? [ports.usage.forget(tenantId, STATS_PERIOD, once)] : [])]);
  return { incident: done, events: step === "resolve" ? [resolvedEvent(done, now)] : [] };
}
