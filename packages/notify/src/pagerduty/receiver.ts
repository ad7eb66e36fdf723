import type { ChannelOf, Receiver } from "../receiver";
import { maskSecret } from "../mask";
import { buildPagerDutyEvent, sequenceOf, type PagerDutyEvent } from "./event";
import { sendPagerDuty } from "./send";

export const pagerduty: Receiver<ChannelOf<"pagerduty">> = {
  target: () => null, // the Events API endpoint is the operator's setting, not the tenant's
  mask: (channel) => ({ ...channel, routing_key: maskSecret(channel.routing_key) }),
  build: (notice) => buildPagerDutyEvent(notice),
  send: sendPagerDuty,
  // A resolve overtaking its trigger after an outage would leave the alert open for a resolved incident.
  order: ({ payload }) => sequenceOf(payload as unknown as PagerDutyEvent),
};
