import type { ChannelOf, Delivery } from "../receiver";
import { postJson, settle } from "../delivery";

export const sendPagerDuty = async ({ channel, payload, ports }: Delivery<ChannelOf<"pagerduty">>): Promise<void> => {
  const body = JSON.stringify({ ...payload, routing_key: channel.routing_key });
  const answer = await postJson("pagerduty", ports.settings.pagerdutyEventsUrl, body, {});
  // PagerDuty answers 400 for an event it will never accept: dead-lettered with its reason, not retried.
  settle("pagerduty", answer, ports.clock.now());
};
