import { createHash } from "node:crypto";
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import { EventEnvelope, parseEvent, STAGES, type Bus, type DeadLetter, type DeadLetters, type EventType, type Page, type PageQuery, type StageName } from "@ir/core";
import type { SqsLazy } from "../clients";
import { decodeCursor, encodeCursor } from "../cursor";
import type { DynamoTable, Item, Key } from "../dynamo-table";
import { pk, ttlIn } from "../table";

/** Message attributes the runtime puts on what it dead-letters (SQS allows ten per message, so details share one). */
export const REASON_ATTRIBUTE = "ir-reason";
export const DETAILS_ATTRIBUTE = "ir-dead-letter";
export interface DeadLetterDetails {
  stage: StageName; tenant_id: string; event_type: EventType; attempts: number; failed_at: string;
  /** A raw message from the forwarded-alarms queue (a customer's CloudWatch event): replayed there, not to the ingest queue. */
  queue?: "forwarded";
}

/** SQS keeps messages 14 days at most; the catalogue keeps them as long. */
const KEEP_S = 14 * 24 * 3600;
const SWEEP_ROUNDS = 10;

const deadLetterId = (failedAt: string, messageId: string) =>
  `dl_${Date.parse(failedAt).toString(36).padStart(9, "0")}${createHash("sha256").update(messageId).digest("hex").slice(0, 10)}`;

/**
 * Dead letters on AWS arrive in the per-stage SQS DLQs, from two doors: the runtime's Poison path and
 * attempts-exhausted path (with the reason attached), and SQS's own redrive after maxReceiveCount (a crash
 * or timeout, no reason). SQS cannot be paged or filtered by tenant, so listing first sweeps the DLQs into
 * a DynamoDB catalogue (conditional put, then delete from SQS: a crash in between only repeats the put),
 * and lists and replays from there. Replay puts the message back where it entered: the ingest queue (or the
 * forwarded-alarms queue) for raw messages, the bus (whose rule routes it to the failed stage) for events.
 */
export class SqsDeadLetters implements DeadLetters {
  constructor(
    private readonly sqs: SqsLazy,
    private readonly table: DynamoTable,
    private readonly bus: Bus,
    private readonly queues: { ingest: string; forwarded?: string; deadLetters: Record<StageName, string> },
  ) {}

  async list(tenantId: string | null, q: PageQuery): Promise<Page<DeadLetter>> {
    await this.sweep();
    const after = decodeCursor(q.cursor, "dl_");
    const items: Item[] = [];
    let start: Key | undefined = after ? { pk: pk.deadLetters, sk: after } : undefined;
    do {
      const page = await this.table.query({
        KeyConditionExpression: "pk = :pk",
        FilterExpression: tenantId === null ? undefined : "tenant_id = :t",
        ExpressionAttributeValues: tenantId === null ? { ":pk": pk.deadLetters } : { ":pk": pk.deadLetters, ":t": tenantId },
        ScanIndexForward: false,
        Limit: Math.max(q.limit + 1, 50),
        ExclusiveStartKey: start,
      });
      items.push(...page.items);
      start = page.lastKey;
    } while (start && items.length <= q.limit);
    const shown = items.slice(0, q.limit);
    return {
      items: shown.map((i) => ({
        id: i.sk as string, stage: i.stage as string, tenant_id: i.tenant_id as string, event_type: i.event_type as EventType,
        reason: i.reason as string, failed_at: i.failed_at as string, attempts: i.attempts as number, body: i.body as string,
      })),
      next_cursor: (items.length > q.limit || start) && shown.length ? encodeCursor(shown[shown.length - 1].sk as string) : null,
    };
  }

  async replay(tenantId: string | null, id: string) {
    const item = await this.table.get({ pk: pk.deadLetters, sk: id });
    if (!item || (tenantId !== null && item.tenant_id !== tenantId)) return false;
    if (item.stage === "ingest") {
      const { sdk, client } = await this.sqs.use();
      // A forwarded event carries no key: on the direct-publish queue it could not name its tenant.
      await client.send(new sdk.SendMessageCommand({
        QueueUrl: item.queue === "forwarded" && this.queues.forwarded ? this.queues.forwarded : this.queues.ingest,
        MessageBody: item.body as string,
        MessageAttributes: JSON.parse((item.attributes as string | undefined) ?? "{}") as Record<string, MessageAttributeValue>,
      }));
    } else {
      const envelope = JSON.parse(item.body as string) as { detail?: unknown };
      await this.bus.publish([parseEvent(envelope.detail)]);
    }
    await this.table.delete({ pk: pk.deadLetters, sk: id });
    return true;
  }

  /** Moves whatever waits in the DLQs into the catalogue. */
  async sweep() {
    await Promise.all((Object.keys(this.queues.deadLetters) as StageName[]).map((stage) => this.sweepQueue(stage)));
  }

  private async sweepQueue(stage: StageName) {
    const url = this.queues.deadLetters[stage];
    const { sdk, client } = await this.sqs.use();
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const out = await client.send(new sdk.ReceiveMessageCommand({
        QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
      }));
      const messages = out.Messages ?? [];
      if (!messages.length) return;
      for (const m of messages) await this.catalogue(stage, m);
      await client.send(new sdk.DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  }

  private async catalogue(stage: StageName, m: Message) {
    const attrs = { ...(m.MessageAttributes ?? {}) };
    const details = attrs[DETAILS_ATTRIBUTE]?.StringValue ? (JSON.parse(attrs[DETAILS_ATTRIBUTE].StringValue) as Partial<DeadLetterDetails>) : {};
    const reason = attrs[REASON_ATTRIBUTE]?.StringValue ?? "exceeded the queue's maxReceiveCount (crash or timeout)";
    delete attrs[DETAILS_ATTRIBUTE];
    delete attrs[REASON_ATTRIBUTE];
    const body = m.Body ?? "";
    const parsed = stage === "ingest" ? undefined : EventEnvelope.safeParse((safeJson(body) as { detail?: unknown } | undefined)?.detail);
    const sent = new Date(Number(m.Attributes?.SentTimestamp ?? Date.now())).toISOString();
    const failedAt = details.failed_at ?? sent;
    await this.table.put({
      pk: pk.deadLetters,
      sk: deadLetterId(failedAt, m.MessageId!),
      stage,
      tenant_id: details.tenant_id ?? (parsed?.success ? parsed.data.tenant_id : "unknown"),
      event_type: details.event_type ?? (parsed?.success ? parsed.data.type : STAGES[stage].consumes[0]),
      reason,
      failed_at: failedAt,
      attempts: details.attempts ?? Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      ...(this.fromForwarded(details, m) ? { queue: "forwarded" } : {}),
      body,
      // Kept for replay only (an ingest message's API key travels here); never listed.
      attributes: JSON.stringify(attrs),
      expires_at: ttlIn(Date.now(), KEEP_S),
    }, { expression: "attribute_not_exists(pk)" }).catch((err: Error) => { if (err.name !== "ConditionalCheckFailedException") throw err; });
  }

  /**
   * A raw message the runtime dead-lettered says which ingest queue it came from; one SQS moved itself (a crash, a
   * timeout) only names its source queue. Replayed to the direct-publish queue, a forwarded event has no key to
   * name its tenant, and would be dead-lettered again.
   */
  private fromForwarded(details: Partial<DeadLetterDetails>, m: Message): boolean {
    if (details.queue) return details.queue === "forwarded";
    const source = m.Attributes?.DeadLetterQueueSourceArn;
    return !!source && !!this.queues.forwarded && source.split(":").pop() === this.queues.forwarded.split("/").pop();
  }

  /** Removes a tenant's catalogued dead letters (messages still in the DLQs are swept first). */
  async erase(tenantId: string) {
    await this.sweep();
    const items = await this.table.queryAll(pk.deadLetters, undefined, "pk, sk, tenant_id");
    await this.table.batchDelete(items.filter((i) => i.tenant_id === tenantId).map((i) => ({ pk: i.pk as string, sk: i.sk as string })));
  }
}

const safeJson = (text: string): unknown => {
  try { return JSON.parse(text); } catch { return undefined; }
};
