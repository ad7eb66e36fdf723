import type { NotificationChannel } from "@ir/core";
import type { ChannelOf, ChannelType, Receiver } from "./receiver";
import { pagerduty } from "./pagerduty/receiver";
import { slack } from "./slack/receiver";
import { webhook } from "./webhook/receiver";

/** Every kind of channel, by its `type`. A new receiver is a folder and a line here. */
export const receivers: { [T in ChannelType]: Receiver<ChannelOf<T>> } = {
  slack,
  pagerduty,
  webhook,
};

/** The receiver for a channel, typed for that channel (the map's key and the channel's type agree). */
export const receiverFor = <C extends NotificationChannel>(channel: C): Receiver<C> =>
  receivers[channel.type] as unknown as Receiver<C>;
