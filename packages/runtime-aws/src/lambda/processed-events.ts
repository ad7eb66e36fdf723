import { parseEvent, type EventType, type PipelineEvent, type StageName } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import { isConditionFailed, pk, sk, ttlIn } from "../table";

/** EventBridge and SQS both deliver at least once; a week covers every redelivery and replay window short of a DLQ replay. */
const KEEP_S = 7 * 24 * 3600;

/**
 * How a stage recognises an event it has already handled. Every record costs DynamoDB writes on the hot path
 * (95 % of alarms are duplicates), so each event gets the cheapest guard that keeps its stage exactly-once
 * in effect:
 *  - `none`: running the stage again is harmless: its writes are idempotent (deterministic ids, content-addressed
 *    caches, sets of the same value) and its outputs carry deterministic ids that the next stage's guard drops.
 *  - `record`: a done record, read before the stage runs and written once its outputs are published. For work
 *    whose overlapping runs cannot happen or would agree, but whose rerun much later could decide differently.
 *  - `claim`: the done record preceded by a conditional claim, so two overlapping deliveries never both run:
 *    for side effects outside our stores that no later write can take back.
 */
export type Guard = "none" | "record" | "claim";

const GUARDS: Partial<Record<StageName, Partial<Record<EventType, Guard>>>> = {
  // Raw messages have no tenant yet; the alarm ids are derived from the SQS message id and records are conditional puts.
  ingest: { "source.raw": "none" },
  // Pure function of the alarm plus the embedding cache (keyed by text hash); match drops a second alarm.embedded.
  embed: { "alarm.received": "none" },
  // Decisions for one (tenant, service) run one at a time (FIFO group or lease), so runs never overlap. A rerun
  // is recognised from the incident's history only while the alarm is among its last recurrences: hence the record.
  match: { "alarm.embedded": "record", "alarm.resolved": "record" },
  // Recommendations are written once per incident under its optimistic lock, the outcome put is a plain set, and
  // notify drops a second incident.changed; an overlap costs at most a repeated chat call for a new incident.
  enrich: { "incident.decided": "none" },
  // Overlapping routings read one state and decide alike (same send ids); a late rerun could decide anew.
  // A send is a POST to Slack or PagerDuty: two overlapping runs would page twice.
  notify: { "incident.changed": "record", "notification.send": "claim" },
};

/** Anything not listed gets the strictest guard. */
export const guardOf = (stage: StageName, type: EventType): Guard => GUARDS[stage]?.[type] ?? "claim";

export type Seen =
  | { state: "new" }
  /** `outputs` only from records written before outputs were published first (see `complete`). */
  | { state: "done"; outputs: PipelineEvent[] | null }
  | { state: "busy"; retryInMs: number };

/**
 * Per-(stage, event id) records. A claimed event is `in_progress` until a deadline; a claim whose holder died
 * expires and is taken over. An event is marked `done` only after the events it emitted were published, so
 * "done" means nothing is left to do: the record carries no outputs (a vector event is ~9 KB, ~9 WRU), and a
 * crash between publishing and marking reruns the stage, which republishes the same deterministic ids.
 */
export class ProcessedEvents {
  constructor(private readonly table: DynamoTable) {}

  /** With `exclusive` the event is also claimed for `holdMs`; otherwise this only reads. */
  async begin(stage: StageName, event: PipelineEvent, holdMs: number, exclusive: boolean): Promise<Seen> {
    const key = this.key(stage, event);
    const now = Date.now();
    if (exclusive) {
      try {
        await this.table.put(
          { ...key, status: "in_progress", until: now + holdMs, expires_at: ttlIn(now, KEEP_S) },
          { expression: "attribute_not_exists(pk) OR (#status = :busy AND #until < :now)", names: { "#status": "status", "#until": "until" }, values: { ":busy": "in_progress", ":now": now } },
        );
        return { state: "new" };
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
    }
    const item = await this.table.get(key);
    if (!item) return exclusive ? this.begin(stage, event, holdMs, exclusive) : { state: "new" };
    if (item.status === "done") {
      // Written by the previous version, which stored outputs before publishing them: they may never have gone out.
      return { state: "done", outputs: typeof item.outputs === "string" ? (JSON.parse(item.outputs) as unknown[]).map(parseEvent) : null };
    }
    // In progress: a live claim (or, for a read-only guard, one left by a version that claimed this event type).
    const until = item.until as number;
    if (!exclusive && until < now) return { state: "new" };
    return { state: "busy", retryInMs: Math.max(1000, until - now) };
  }

  /** Call only after the event's outputs were published. */
  async complete(stage: StageName, event: PipelineEvent) {
    await this.table.put({ ...this.key(stage, event), status: "done", expires_at: ttlIn(Date.now(), KEEP_S) });
  }

  /** Gives up a claim after a handled failure, so the retry does not wait out the claim. */
  async release(stage: StageName, event: PipelineEvent) {
    await this.table.delete(
      this.key(stage, event),
      { expression: "#status = :busy", names: { "#status": "status" }, values: { ":busy": "in_progress" } },
    ).catch((err) => { if (!isConditionFailed(err)) throw err; });
  }

  /**
   * Counts a failed run of the event and returns the runs failed so far, this one included. On a FIFO queue
   * the message's receive count cannot serve: it also goes up each time the message is handed back unrun
   * behind a failing message of its group. One write per failure; successes cost nothing.
   */
  async failedRun(stage: StageName, event: PipelineEvent): Promise<number> {
    const attrs = await this.table.update(
      { pk: pk.tenant(event.tenant_id), sk: sk.failures(stage, event.id) },
      "ADD #n :one SET expires_at = :expires",
      { names: { "#n": "n" }, values: { ":one": 1, ":expires": ttlIn(Date.now(), KEEP_S) }, returnNew: true },
    );
    return Number(attrs?.n ?? 1);
  }

  private key(stage: StageName, event: PipelineEvent) {
    return { pk: pk.tenant(event.tenant_id), sk: sk.processed(stage, event.id) };
  }
}
