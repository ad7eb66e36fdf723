import type { NotificationChannel, Ports } from "@ir/core";
import type { Notice } from "./notice";

export type ChannelType = NotificationChannel["type"];
export type ChannelOf<T extends ChannelType> = Extract<NotificationChannel, { type: T }>;
export type Payload = Record<string, unknown>;

/** One prepared notification on its way out; retried on its own, so one failing channel never re-sends another. */
export interface Delivery<C extends NotificationChannel> {
  channel: C;
  payload: Payload;
  tenantId: string;
  /** Stable across retries of this notification: receivers can drop a repeat. */
  deliveryId: string;
  ports: Ports;
}

/** Everything the stage and the API need to know about one kind of channel. */
export interface Receiver<C extends NotificationChannel> {
  /** The tenant-supplied URL to check against private targets, or null when the operator's settings fix it. */
  target(channel: C): string | null;
  /** The channel as the API shows it and logs name it: secrets masked. */
  mask(channel: C): C;
  /** The payload for this change, or null when this kind of channel does not carry it. */
  build(notice: Notice, channel: C): Payload | null;
  /** Resolves on success; throws RetryLater or Poison as the runtime contract asks. */
  send(delivery: Delivery<C>): Promise<void>;
  /**
   * For a channel whose messages open and close something (a PagerDuty alert, a consumer's ticket): the incident
   * whose thread this send opens, updates or closes, so that sends retried on their own still reach it in order
   * (delivery-order.ts).
   */
  order?(send: { payload: Payload; incident_id: string; change: string }): Sequenced | null;
}

export interface Sequenced {
  incidentId: string;
  /** False for the send that closes the thread: it waits for the ones before it. */
  opens: boolean;
}

/** A thread per incident, closed by its resolve (Slack, webhooks). */
export const byIncident = ({ incident_id, change }: { incident_id: string; change: string }): Sequenced =>
  ({ incidentId: incident_id, opens: change !== "resolved" });
