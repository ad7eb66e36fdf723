import { makeEvent, RetryLater, type Change, type IncidentChanged, type Incident, type PipelineEvent, type Ports } from "@ir/core";
import { DEFAULT_RULES, decide, inheritState, initialState, isQuietCheck, QUIET_CHECK, quietCheckFire, type NotifyState } from "./policy";
import { toNotice } from "./notice";
import { receiverFor } from "./receivers";
import { refOf } from "./channel-ref";

/** The kv is per tenant, so the incident id alone names its notification state. */
export const stateKey = (incidentId: string) => `notify:${incidentId}`;

/**
 * The state a new regression starts from: its predecessor's flapping history. A predecessor that was flapping
 * is told that the hold moved here, so that its own quiet check does not end the lineage's hold early.
 */
const inherited = async (ports: Ports, tenantId: string, incident: Incident): Promise<NotifyState> => {
  if (!incident.regression_of) return initialState();
  const predecessor = await ports.kv.update<NotifyState>(tenantId, stateKey(incident.regression_of), (s) =>
    s && s.flap.flapping && !s.flap.successor ? { ...s, flap: { ...s.flap, successor: incident.incident_id } } : undefined);
  return predecessor ? inheritState(predecessor) : initialState();
};

/** The quiet check for a lineage's last fire: one per fire, so a check scheduled before a later fire ends at once. */
const quietCheck = (tenantId: string, incidentId: string, fire: string, at: string) =>
  makeEvent("incident.changed", tenantId, `${incidentId}:quiet-after:${fire}`, { incident_id: incidentId, changes: [QUIET_CHECK] }, at);

/** `incident.changed` → the policy's decision → one `notification.send` per announced change and channel. */
export const routeChange = async (event: PipelineEvent, data: IncidentChanged, ports: Ports): Promise<PipelineEvent[]> => {
  const tenantId = event.tenant_id;
  const tenant = await ports.tenants.get(tenantId);
  if (!tenant) return []; // erased while the event was queued
  // Nowhere to send: skip the policy's bookkeeping, which is most of the cost of a duplicate here.
  if (tenant.settings.notifications.channels.length === 0) return [];
  const incident = await ports.incidents.get(tenantId, data.incident_id);
  if (!incident) return [];

  const now = ports.clock.now();
  const at = now.toISOString();
  const { channels, min_severity } = tenant.settings.notifications;
  const rules = { ...DEFAULT_RULES, minSeverity: min_severity ?? DEFAULT_RULES.minSeverity };
  const key = stateKey(incident.incident_id);
  // Only a regression starts from something other than the initial state; the update below reads the state anyway.
  const fresh = incident.regression_of && (await ports.kv.get<NotifyState>(tenantId, key)) === null ? await inherited(ports, tenantId, incident) : null;

  // Decided inside an atomic update: records of one batch run concurrently on AWS, and a decision made on a
  // state another routing has changed meanwhile would erase that one's announcement (and so its resolve).
  let out: { sends: PipelineEvent[]; notify: Change[]; recheckInMs?: number } = { sends: [], notify: [] };
  await ports.kv.update<NotifyState>(tenantId, key, (stored) => {
    const state = stored ?? fresh ?? initialState();
    // A quiet check for an earlier fire (or for a hold already over) has nothing left to do, unless it is a
    // redelivery of the check that did it: its decision is found below and its sends are emitted again.
    if (isQuietCheck(data.changes) && event.id !== checkIdOf(tenantId, incident.incident_id, state, at)
      && !state.recent.some((d) => d.event_id === event.id)) {
      out = { sends: [], notify: [] };
      return undefined;
    }
    const decision = decide(state, event.id, data.changes, incident, now, rules);
    if (decision.recheckInMs !== undefined) {
      out = { sends: [], notify: [], recheckInMs: decision.recheckInMs };
      return undefined;
    }
    const sends: Array<PipelineEvent<"notification.send">> = [];
    // Sends that open or update a channel's thread, so that its resolve waits for them (delivery-order.ts).
    const triggers: Array<{ id: string; channel: string }> = [];
    for (const change of decision.notify) {
      const notice = toNotice(change, incident, decision.context, ports.settings.publicUrl, now);
      for (const channel of channels) {
        const receiver = receiverFor(channel);
        const payload = receiver.build(notice, channel);
        if (payload === null) continue;
        const ref = refOf(channel);
        const send = makeEvent("notification.send", tenantId, `${event.id}:${sends.length}`, { incident_id: incident.incident_id, change, channel: ref, payload }, at);
        sends.push(send);
        const seq = receiver.order?.({ payload, incident_id: incident.incident_id, change });
        if (seq?.opens && seq.incidentId === incident.incident_id) triggers.push({ id: send.id, channel: ref.id });
      }
    }
    let next = decision.state;
    if (next !== state && triggers.length) next = { ...next, pages: [...(next.pages ?? []), ...triggers.map(({ id, channel }) => ({ id, channel, at, failures: 0 }))] };
    // A fire while flapping (the one that started it included) moves the end of the hold: check again then. A
    // redelivery (its decision found, the state unchanged) emits it again: the first run may not have got it out.
    const fire = quietCheckFire(next);
    const redelivered = decision.state === state;
    const checks = fire !== null && (redelivered || fire !== quietCheckFire(state)) ? [quietCheck(tenantId, incident.incident_id, fire, at)] : [];
    out = { sends: [...sends, ...checks], notify: decision.notify };
    return next === stored ? undefined : next;
  });
  if (out.recheckInMs !== undefined) {
    // The runtime keeps this check parked until the lineage has been quiet long enough.
    throw new RetryLater(`flapping: quiet check for ${incident.incident_id} is due later`, out.recheckInMs);
  }

  ports.log.debug({ stage: "notify", tenant_id: tenantId, incident_id: incident.incident_id, changes: data.changes, notify: out.notify }, "routed");
  return out.sends;
};

const checkIdOf = (tenantId: string, incidentId: string, state: NotifyState, at: string): string | null => {
  const fire = quietCheckFire(state);
  return fire === null ? null : quietCheck(tenantId, incidentId, fire, at).id;
};
