import { Poison, RetryLater, type NotificationSend, type PipelineEvent, type Ports } from "@ir/core";
import { checkOrder, recordOutcome } from "./delivery-order";
import { receiverFor, receivers } from "./receivers";
import { channelOf, refOf } from "./channel-ref";

/** `notification.send` → one POST to one channel. Logs and errors name the channel type and a masked target only. */
export const deliver = async (event: PipelineEvent, data: NotificationSend, ports: Ports): Promise<void> => {
  const { payload, change, incident_id } = data;
  const seq = receivers[data.channel.type].order?.(data) ?? null;
  // Sends queued before channel refs carry the whole channel.
  const thread = "id" in data.channel ? data.channel.id : refOf(data.channel).id;
  const tenant = await ports.tenants.get(event.tenant_id);
  const channel = tenant && channelOf(tenant, data.channel);
  if (!channel) {
    // Removed (or its URL, key or secret changed) since routing: it is no longer where the tenant wants this.
    ports.log.info({ stage: "notify", tenant_id: event.tenant_id, incident_id, change, channel: data.channel.type }, "notification dropped: its channel is no longer configured");
    if (seq) await recordOutcome(event, seq, thread, ports, null);
    return;
  }
  const receiver = receiverFor(channel);
  const log = ports.log.child({ stage: "notify", tenant_id: event.tenant_id, incident_id, change, channel: channel.type, target: receiver.mask(channel) });
  if (seq) {
    try {
      if (await checkOrder(event, seq, thread, ports) === "stale") {
        log.info({}, "notification dropped: the alert was resolved after it was routed");
        await recordOutcome(event, seq, thread, ports, null);
        return;
      }
    } catch (err) {
      if (err instanceof RetryLater) log.info({ reason: err.message }, "notification waits for an earlier one");
      throw err;
    }
  }
  try {
    await receiver.send({ channel, payload, tenantId: event.tenant_id, deliveryId: event.id, ports });
  } catch (err) {
    if (seq) await recordOutcome(event, seq, thread, ports, err).catch((e) => log.warn({ error: e instanceof Error ? e.name : typeof e }, "could not record the failed attempt"));
    if (err instanceof RetryLater) {
      log.warn({ reason: err.message, retry_in_ms: err.delayMs }, "notification deferred");
      throw err;
    }
    if (err instanceof Poison) {
      log.error({ reason: err.message }, "notification refused");
      throw err;
    }
    // An unexpected error's message may quote the URL it failed on; what leaves here must not.
    const name = err instanceof Error ? err.name : typeof err;
    log.error({ error: name }, "notification failed");
    throw new Error(`${channel.type} send failed (${name})`);
  }
  // Not recorded, it is sent again (a PagerDuty trigger of the same alert updates it without paging again).
  if (seq) await recordOutcome(event, seq, thread, ports, null);
  log.info({}, "notification sent");
};
