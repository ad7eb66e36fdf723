import { Poison, RetryLater, type NotificationSend, type PipelineEvent, type Ports } from "@ir/core";
import { receiverFor } from "./receivers";

/** `notification.send` → one POST to one channel. Logs and errors name the channel type and a masked target only. */
export const deliver = async (event: PipelineEvent, data: NotificationSend, ports: Ports): Promise<void> => {
  const { channel, payload, change, incident_id } = data;
  const receiver = receiverFor(channel);
  const log = ports.log.child({ stage: "notify", tenant_id: event.tenant_id, incident_id, change, channel: channel.type, target: receiver.mask(channel) });
  try {
    await receiver.send({ channel, payload, tenantId: event.tenant_id, deliveryId: event.id, ports });
  } catch (err) {
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
  log.info({}, "notification sent");
};
