import type { EventType } from "./events";

export interface StageSpec {
  /** What the stage does, for the README and the infrastructure's descriptions. */
  description: string;
  consumes: readonly EventType[];
  emits: readonly EventType[];
  /** Messages handed to one invocation. */
  batchSize: number;
  /** Seconds one message may take before it is retried (SQS visibility timeout on AWS). */
  timeoutSeconds: number;
  /** Attempts before a message goes to the dead-letter queue. */
  maxAttempts: number;
  memoryMb: number;
  /**
   * For a dependency that says "later" (429, 5xx): keep retrying for this long after the event was made,
   * beyond maxAttempts. A receiver's outage of minutes must not dead-letter what it was sent.
   */
  retryWindowSeconds?: number;
  /**
   * The longest a message waits on purpose in normal operation (a timer kept as a parked message): the queue's
   * oldest-message alarm on AWS must not fire for it.
   */
  parksUpToSeconds?: number;
  /**
   * Decisions for one (tenant, service) must be serialized: on AWS the stage's queue is FIFO with that
   * pair as message group, in the embedded runtime one worker drains it in order.
   */
  ordered: boolean;
}

/**
 * How long embed and match wait out a rate limit (OpenAI's embeddings, Pinecone's queries) before a record
 * counts as failed: a burst of new problems can hold OpenAI's tokens-per-minute limit for minutes, and with
 * five attempts alone its records were dead-lettered within 30 s.
 */
const RATE_LIMIT_WINDOW = 30 * 60;

/**
 * The pipeline, once. Both runtimes are built from this: the embedded runtime wires a local queue per
 * stage, the SST stacks create a queue, DLQ, function and one EventBridge rule per consumed event.
 *
 *   source.raw ─▶ ingest ─▶ alarm.received ─▶ embed ─▶ alarm.embedded ─▶ match ─▶ incident.decided ─▶ enrich ─▶ incident.changed ─▶ notify
 *                   └────▶ alarm.resolved ───────────────────────────────▶ match ──────────────────────────────▶ incident.changed ─▶ notify
 *                                                                                                       notify ─▶ notification.send (one per channel) ─▶ notify
 */
export const STAGES = {
  ingest: {
    description: "authenticate and normalize raw source messages (SQS direct publish) into canonical alarms",
    consumes: ["source.raw"], emits: ["alarm.received", "alarm.resolved"],
    batchSize: 10, timeoutSeconds: 30, maxAttempts: 5, memoryMb: 256, ordered: false,
  },
  embed: {
    description: "mask variable parts, fingerprint, embed",
    consumes: ["alarm.received"], emits: ["alarm.embedded"],
    // OpenAI's rate limits (429 with a delay of up to minutes) must not dead-letter alarms: see RATE_LIMIT_WINDOW.
    batchSize: 10, timeoutSeconds: 60, maxAttempts: 5, memoryMb: 256, ordered: false, retryWindowSeconds: RATE_LIMIT_WINDOW,
  },
  match: {
    description: "dedup / regression decision, runbook retrieval; writes the incident",
    consumes: ["alarm.embedded", "alarm.resolved"], emits: ["incident.decided", "incident.changed"],
    batchSize: 10, timeoutSeconds: 60, maxAttempts: 5, memoryMb: 512, ordered: true, retryWindowSeconds: RATE_LIMIT_WINDOW,
  },
  enrich: {
    description: "recommendation text and similar past resolutions",
    consumes: ["incident.decided"], emits: ["incident.changed"],
    batchSize: 10, timeoutSeconds: 120, maxAttempts: 5, memoryMb: 256, ordered: false,
  },
  notify: {
    description: "route incident changes to Slack, PagerDuty and webhooks without paging twice",
    consumes: ["incident.changed", "notification.send"], emits: ["notification.send"],
    batchSize: 10, timeoutSeconds: 120, maxAttempts: 8, memoryMb: 256, ordered: false, retryWindowSeconds: 6 * 3600,
    // A flapping incident's quiet check waits out the policy's quiet period (DEFAULT_RULES.flapQuietMs).
    parksUpToSeconds: 30 * 60,
  },
} as const satisfies Record<string, StageSpec>;

/** Whether an event that failed with "retry later" is still inside its stage's retry window. */
export const withinRetryWindow = (spec: StageSpec, eventAt: string, nowMs: number): boolean =>
  spec.retryWindowSeconds !== undefined && nowMs - Date.parse(eventAt) < spec.retryWindowSeconds * 1000;

export type StageName = keyof typeof STAGES;
export const STAGE_NAMES = Object.keys(STAGES) as StageName[];

/** Which stages receive an event: the routing rules, derived from `consumes`. */
export const routesFor = (type: EventType): StageName[] =>
  STAGE_NAMES.filter((s) => (STAGES[s].consumes as readonly string[]).includes(type));

/** Every (event type → stage) rule, for infrastructure that creates one rule per pair. */
export const routingRules = (): Array<{ event: EventType; stage: StageName }> =>
  STAGE_NAMES.flatMap((stage) => STAGES[stage].consumes.map((event) => ({ event, stage })));
