import { byIncident, type ChannelOf, type Receiver } from "../receiver";
import { MASK } from "@ir/core";
import { maskUrl } from "../mask";
import { buildWebhookPayload } from "./payload";
import { sendWebhook } from "./send";

export const webhook: Receiver<ChannelOf<"webhook">> = {
  target: (channel) => channel.url,
  mask: (channel) => ({ ...channel, url: maskUrl(channel.url), ...(channel.secret ? { secret: MASK } : {}) }),
  build: (notice) => buildWebhookPayload(notice),
  send: sendWebhook,
  // After an outage a young resolve would arrive before the opening it closes: a consumer's ticket left open.
  order: byIncident,
};
