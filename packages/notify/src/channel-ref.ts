import { hash } from "node:crypto";
import type { ChannelRef, NotificationChannel, Tenant } from "@ir/core";

/** A digest of everything the channel holds: a changed URL, key or secret is another channel. */
const channelId = (channel: NotificationChannel): string =>
  hash("sha256", JSON.stringify(Object.entries(channel).sort(([a], [b]) => (a < b ? -1 : 1)))).slice(0, 24);

export const refOf = (channel: NotificationChannel): ChannelRef => ({ type: channel.type, id: channelId(channel) });

/**
 * The tenant's channel a send names, as configured now; null once it was removed or changed, when a send
 * routed for it has nowhere it was meant to go. (A send routed before refs carries the channel itself.)
 */
export const channelOf = (tenant: Tenant, named: ChannelRef | NotificationChannel): NotificationChannel | null => {
  const id = "id" in named ? named.id : channelId(named);
  return tenant.settings.notifications.channels.find((c) => c.type === named.type && channelId(c) === id) ?? null;
};
