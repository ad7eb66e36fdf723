import * as z from "zod";
import { Alarm, NotificationChannel, Outcome, SourceResolution } from "./schemas";

/** A raw message a producer put on the ingest queue (SQS direct publish); the ingest stage authenticates and normalizes it. */
export const SourceRaw = z.object({
  body: z.string(),
  attributes: z.record(z.string(), z.string()),
  received_at: z.string(),
});

export const AlarmEmbedded = z.object({
  alarm: Alarm,
  /** The message with its variable parts masked: what dedup compares. */
  masked: z.string(),
  fingerprint: z.string(),
  /** Float32 little-endian, base64 (a quarter of the JSON size of a number array); "" when not computed. */
  vector: z.string(),
});
export type AlarmEmbedded = z.infer<typeof AlarmEmbedded>;

export const CHANGES = ["opened", "recurred", "regressed", "escalated", "resolved", "flapping_started", "flapping_stopped"] as const;
export const Change = z.enum(CHANGES);
export type Change = z.infer<typeof Change>;

export const IncidentDecided = z.object({ alarm: Alarm, outcome: Outcome, changes: z.array(Change) });
export type IncidentDecided = z.infer<typeof IncidentDecided>;

export const IncidentChanged = z.object({
  incident_id: z.string(),
  changes: z.array(Change),
  alarm_id: z.string().optional(),
});
export type IncidentChanged = z.infer<typeof IncidentChanged>;

/**
 * Which of the tenant's channels a send goes to: its type and a digest of its settings. Not the settings:
 * they hold webhook URLs and routing keys, and sends wait in queues, dead-letter queues and logs.
 */
export const ChannelRef = z.object({ type: z.enum(NotificationChannel.options.map((o) => o.shape.type.value)), id: z.string().min(1) });
export type ChannelRef = z.infer<typeof ChannelRef>;

/** One prepared message for one channel: sent (and retried) on its own, so a failing channel never re-sends the others. */
export const NotificationSend = z.object({
  incident_id: z.string(),
  change: Change,
  /** A whole channel in sends routed before refs, still honoured so that an upgrade loses none of them. */
  channel: z.union([ChannelRef, NotificationChannel]),
  /** The body as the receiver expects it (Slack blocks, PagerDuty event, webhook JSON), built when the change was routed. */
  payload: z.record(z.string(), z.unknown()),
});
export type NotificationSend = z.infer<typeof NotificationSend>;

/** Every event on the bus, by type. The stage graph routes on these names (EventBridge `detail-type` on AWS). */
export const EVENT_SCHEMAS = {
  "source.raw": SourceRaw,
  "alarm.received": Alarm,
  "alarm.resolved": SourceResolution,
  "alarm.embedded": AlarmEmbedded,
  "incident.decided": IncidentDecided,
  "incident.changed": IncidentChanged,
  "notification.send": NotificationSend,
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

export interface PipelineEvent<T extends EventType = EventType> {
  /** Deterministic per cause (e.g. `alarm_id:type`), so a redelivered event is recognised, not applied twice. */
  id: string;
  type: T;
  tenant_id: string;
  at: string;
  data: EventData<T>;
}

export const EventEnvelope = z.object({
  id: z.string(),
  type: z.enum(Object.keys(EVENT_SCHEMAS) as [EventType, ...EventType[]]),
  tenant_id: z.string(),
  at: z.string(),
  data: z.unknown(),
});

/** Parse an envelope and its data by type; throws a ZodError naming the bad field. */
export const parseEvent = (raw: unknown): PipelineEvent => {
  const env = EventEnvelope.parse(raw);
  const data = EVENT_SCHEMAS[env.type].parse(env.data);
  return { ...env, data } as PipelineEvent;
};

export const makeEvent = <T extends EventType>(type: T, tenant_id: string, cause: string, data: EventData<T>, at: string): PipelineEvent<T> =>
  ({ id: `${cause}:${type}`, type, tenant_id, at, data });
