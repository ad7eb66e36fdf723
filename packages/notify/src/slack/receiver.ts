import { byIncident, type Receiver, type ChannelOf } from "../receiver";
import { maskUrl } from "../mask";
import { buildSlackMessage } from "./message";
import { sendSlack } from "./send";

export const slack: Receiver<ChannelOf<"slack">> = {
  target: (channel) => channel.webhook_url,
  mask: (channel) => ({ ...channel, webhook_url: maskUrl(channel.webhook_url) }),
  build: (notice) => ({ ...buildSlackMessage(notice) }), // a plain object, as the queue carries it
  send: sendSlack,
  // After an outage a young "resolved" would arrive before the opening: the channel's last word, red, would be wrong.
  order: byIncident,
};
