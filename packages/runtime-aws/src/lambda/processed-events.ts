import { parseEvent, type PipelineEvent, type StageName } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import { isConditionFailed, pk, sk, ttlIn } from "../table";

/** EventBridge and SQS both deliver at least once; a week covers every redelivery and replay window short of a DLQ replay. */
const KEEP_S = 7 * 24 * 3600;
/** DynamoDB items are capped at 400 KB; emitted events larger than this are published before the record is marked instead. */
const MAX_STORED_OUTPUTS = 300_000;

export type Claim =
  | { state: "claimed" }
  | { state: "done"; outputs: PipelineEvent[] | null }
  | { state: "busy"; retryInMs: number };

/**
 * Per-(stage, event id) idempotency records. A record is claimed (`in_progress`, until a deadline) before the
 * stage runs, and completed with the events it emitted *before* they are published: a redelivery of a done
 * event republishes its outputs (harmless downstream, whose ids are deterministic) instead of running the
 * stage again, so a crash between "done" and "published" loses nothing and repeats no side effect. A claim
 * whose holder died expires and is taken over.
 */
export class ProcessedEvents {
  constructor(private readonly table: DynamoTable) {}

  async claim(stage: StageName, event: PipelineEvent, holdMs: number): Promise<Claim> {
    const key = { pk: pk.tenant(event.tenant_id), sk: sk.processed(stage, event.id) };
    const now = Date.now();
    try {
      await this.table.put(
        { ...key, status: "in_progress", until: now + holdMs, expires_at: ttlIn(now, KEEP_S) },
        { expression: "attribute_not_exists(pk) OR (#status = :busy AND #until < :now)", names: { "#status": "status", "#until": "until" }, values: { ":busy": "in_progress", ":now": now } },
      );
      return { state: "claimed" };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    const item = await this.table.get(key);
    if (!item) return this.claim(stage, event, holdMs);
    if (item.status === "done") {
      return { state: "done", outputs: typeof item.outputs === "string" ? (JSON.parse(item.outputs) as unknown[]).map(parseEvent) : null };
    }
    return { state: "busy", retryInMs: Math.max(1000, (item.until as number) - now) };
  }

  /** Returns whether the outputs were stored (and so may be published after this). */
  async complete(stage: StageName, event: PipelineEvent, outputs: PipelineEvent[] | null): Promise<boolean> {
    const json = outputs ? JSON.stringify(outputs) : undefined;
    const stored = json !== undefined && json.length <= MAX_STORED_OUTPUTS;
    await this.table.put({
      pk: pk.tenant(event.tenant_id), sk: sk.processed(stage, event.id), status: "done",
      ...(stored ? { outputs: json } : {}), expires_at: ttlIn(Date.now(), KEEP_S),
    });
    return stored;
  }

  /** Gives up a claim after a handled failure, so the retry does not wait out the claim. */
  async release(stage: StageName, event: PipelineEvent) {
    await this.table.delete(
      { pk: pk.tenant(event.tenant_id), sk: sk.processed(stage, event.id) },
      { expression: "#status = :busy", names: { "#status": "status" }, values: { ":busy": "in_progress" } },
    ).catch((err) => { if (!isConditionFailed(err)) throw err; });
  }
}
