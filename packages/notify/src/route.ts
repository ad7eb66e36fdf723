import { makeEvent, type IncidentChanged, type Incident, type PipelineEvent, type Ports } from "@ir/core";
import { DEFAULT_RULES, decide, inheritState, initialState, type NotifyState } from "./policy";
import { toNotice } from "./notice";
import { receiverFor } from "./receivers";

/** The kv is per tenant, so the incident id alone names its notification state. */
export const stateKey = (incidentId: string) => `notify:${incidentId}`;

const loadState = async (ports: Ports, tenantId: string, incident: Incident): Promise<NotifyState> => {
  const own = await ports.kv.get<NotifyState>(tenantId, stateKey(incident.incident_id));
  if (own) return own;
  if (incident.regression_of) {
    const predecessor = await ports.kv.get<NotifyState>(tenantId, stateKey(incident.regression_of));
    if (predecessor) return inheritState(predecessor);
  }
  return initialState();
};

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
  const { channels, min_severity } = tenant.settings.notifications;
  const state = await loadState(ports, tenantId, incident);
  const rules = { ...DEFAULT_RULES, minSeverity: min_severity ?? DEFAULT_RULES.minSeverity };
  const decision = decide(state, event.id, data.changes, incident, now, rules);
  // Written before the sends are handed over; a redelivery finds this decision and emits the same ids again.
  if (decision.state !== state) await ports.kv.put(tenantId, stateKey(incident.incident_id), decision.state);

  ports.log.debug({ stage: "notify", tenant_id: tenantId, incident_id: incident.incident_id, changes: data.changes, notify: decision.notify }, "routed");
  const at = now.toISOString();
  const sends: PipelineEvent[] = [];
  for (const change of decision.notify) {
    const notice = toNotice(change, incident, decision.context, ports.settings.publicUrl, now);
    for (const channel of channels) {
      const payload = receiverFor(channel).build(notice, channel);
      if (payload === null) continue;
      sends.push(makeEvent("notification.send", tenantId, `${event.id}:${sends.length}`, { incident_id: incident.incident_id, change, channel, payload }, at));
    }
  }
  return sends;
};
