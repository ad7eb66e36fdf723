import type { ChannelOf, Delivery } from "../receiver";
import { postJson, settle } from "../delivery";
import { guardTarget } from "../ssrf";
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from "./signature";

export const sendWebhook = async ({ channel, payload, tenantId, deliveryId, ports }: Delivery<ChannelOf<"webhook">>): Promise<void> => {
  if (!ports.settings.allowPrivateTargets) await guardTarget("webhook", channel.url, false);
  const tenant = await ports.tenants.get(tenantId);
  // An erased tenant's queued notifications go nowhere (and are not kept in a dead-letter store either).
  if (!tenant) return;
  // Every channel saved through PUT /api/v1/notifications has its own secret (webhook/secrets.ts); the tenant's
  // is the fallback for channels saved before that, which the tenant gets a secret for by PUTting them again.
  const secret = channel.secret ?? tenant.settings.webhook_secret;
  // Signed over exactly the bytes sent, at send time, so a retry carries a fresh timestamp.
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(ports.clock.now().getTime() / 1000));
  const answer = await postJson("webhook", channel.url, body, {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
    [DELIVERY_HEADER]: deliveryId,
  }, { allowPrivate: ports.settings.allowPrivateTargets });
  settle("webhook", answer, ports.clock.now());
};
