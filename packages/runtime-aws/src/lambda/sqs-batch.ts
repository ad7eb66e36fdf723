import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { SQSBatchItemFailure, SQSRecord } from "aws-lambda";
import { DomainError, Poison, RetryLater, STAGES, withinRetryWindow, type StageSpec, type Logger, type PipelineEvent, type Ports, type StageHandler, type StageName } from "@ir/core";
import { DETAILS_ATTRIBUTE, REASON_ATTRIBUTE, type DeadLetterDetails } from "../adapters/dead-letters";
import type { AwsPorts } from "../ports";
import { deterministicIds } from "./deterministic-ids";
import { orderKeyOf } from "./order-key";
import { guardOf, type ProcessedEvents } from "./processed-events";
import { eventFromRecord, isFromQueue } from "./sqs-records";
import type { SourceQueues } from "./source-queues";

/** SQS caps a visibility timeout at 12 hours. */
const MAX_VISIBILITY_S = 43_200;
/** How long an ordered group waits for another container's lease before giving its records back. */
const LEASE_WAIT_MS = 20_000;
/** SQS allows ten attributes per message; ours take two. */
const KEPT_ATTRIBUTES = 8;

export interface BatchDeps {
  stage: StageName;
  handler: StageHandler;
  ports: AwsPorts;
  processed: ProcessedEvents;
  queues: SourceQueues;
}

type Outcome = { ok: true } | { ok: false };
interface Parsed { record: SQSRecord; event?: PipelineEvent; poison?: string }

class DeadlineExceeded extends Error {
  constructor() { super("stopped before the Lambda timeout"); this.name = "DeadlineExceeded"; }
}

const backoffSeconds = (attempt: number) => Math.min(900, 5 * 2 ** Math.max(0, attempt - 1)) * (0.75 + Math.random() / 2);

/**
 * One SQS batch for one stage, answered with `batchItemFailures` (the event source mapping must have
 * ReportBatchItemFailures on). Per record:
 *  - success: the stage's events are published to EventBridge, then the event is marked done (processed-events.ts);
 *  - RetryLater (or a concurrent-write Conflict): reported failed, visibility set to the delay;
 *  - Poison: sent to the stage's DLQ with the reason, and not failed;
 *  - any other error: failed with exponential visibility backoff; at the stage's maxAttempts it is
 *    dead-lettered with the error as the reason (the queue's redrive policy remains the net for crashes);
 *  - the Lambda deadline near: records not finished are reported failed and the invocation returns.
 * Records of an `ordered` stage are grouped by (tenant, service) and each group runs under a lease;
 * FIFO queues keep their message-group order, failing the rest of a group after its first failure.
 */
export async function runBatch(deps: BatchDeps, records: SQSRecord[], deadline: number, log: Logger): Promise<SQSBatchItemFailure[]> {
  const spec = STAGES[deps.stage];
  const parsed: Parsed[] = records.map((record) => {
    try {
      return { record, event: eventFromRecord(deps.stage, record, deps.ports.config.ingestForwardedQueueUrl) };
    } catch (err) {
      return { record, poison: err instanceof Error ? err.message : String(err) };
    }
  });

  const groups = new Map<string, Parsed[]>();
  for (const p of parsed) {
    const fifoGroup = p.record.attributes?.MessageGroupId;
    const key = fifoGroup !== undefined ? `fifo:${fifoGroup}`
      : spec.ordered && p.event ? `order:${p.event.tenant_id}\0${await orderKeyOf(p.event, deps.ports.incidents)}`
      : `record:${p.record.messageId}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }

  const failed = new Set<string>();
  await Promise.all([...groups.entries()].map(async ([key, members]) => {
    const lease = key.startsWith("order:") ? await acquireLease(deps, members[0].event!, key.slice("order:".length).split("\0")[1], deadline) : undefined;
    if (lease === null) {
      log.info({ group: key, records: members.length }, "order lease busy; records go back to the queue");
      for (const m of members) { failed.add(m.record.messageId); await changeVisibility(deps, m.record, 1 + Math.random() * 4, log); }
      return;
    }
    try {
      let stop = false;
      for (const m of members) {
        // Handed back at once: left in flight until the queue's visibility timeout, they would hold the whole
        // group (a shard of tenants) for minutes after the failed one's short retry delay. The failed one,
        // still in flight, keeps them behind it.
        if (stop) { failed.add(m.record.messageId); await changeVisibility(deps, m.record, 0, log); continue; }
        const outcome = await processRecord(deps, m, deadline, log);
        if (!outcome.ok) {
          failed.add(m.record.messageId);
          // FIFO: a later message of the group must not overtake a failed one.
          if (key.startsWith("fifo:")) stop = true;
        }
      }
    } finally {
      await lease?.release().catch((err) => log.warn({ err }, "order lease release failed; it expires on its own"));
    }
  }));
  return records.filter((r) => failed.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId }));
}

async function acquireLease(deps: BatchDeps, event: PipelineEvent, name: string, deadline: number) {
  const holdMs = Math.max(1000, deadline - Date.now());
  return deps.ports.lease.acquire(event.tenant_id, name, holdMs, Math.min(deadline, Date.now() + LEASE_WAIT_MS));
}

async function processRecord(deps: BatchDeps, p: Parsed, deadline: number, baseLog: Logger): Promise<Outcome> {
  const { record } = p;
  const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1);
  if (!p.event) return deadLetter(deps, record, p.poison ?? "unreadable", receives, undefined, baseLog);
  const event = p.event;
  const log = baseLog.child({ event_id: event.id, event_type: event.type, tenant_id: event.tenant_id || undefined, message_id: record.messageId, receives });
  /** Runs of this event that failed, this one included (see ProcessedEvents.failedRun for why FIFO counts its own). */
  const failedRuns = () => record.attributes?.MessageGroupId === undefined ? Promise.resolve(receives)
    : deps.processed.failedRun(deps.stage, event).catch((err) => { log.warn({ err }, "could not count the failed run; using the receive count"); return receives; });
  if (Date.now() >= deadline) return { ok: false };

  const guard = guardOf(deps.stage, event.type);
  if (guard !== "none") {
    const seen = await deps.processed.begin(deps.stage, event, Math.max(1000, deadline - Date.now()), guard === "claim");
    if (seen.state === "done") {
      if (seen.outputs?.length) await deps.ports.bus.publish(seen.outputs);
      log.debug({}, "already processed");
      return { ok: true };
    }
    if (seen.state === "busy") {
      await changeVisibility(deps, record, seen.retryInMs / 1000, log);
      return { ok: false };
    }
  }

  try {
    const outputs = await beforeDeadline(deps.handler(event, scopePorts(deps.ports, event, record, log)), deadline);
    if (outputs.length) await deps.ports.bus.publish(outputs);
    if (guard !== "none") await deps.processed.complete(deps.stage, event);
    log.debug({ emitted: outputs.length }, "processed");
    return { ok: true };
  } catch (err) {
    // A timed-out handler may still be running: its claim must stand until it expires.
    if (guard === "claim" && !(err instanceof DeadlineExceeded)) await deps.processed.release(deps.stage, event).catch(() => undefined);
    if (err instanceof DeadlineExceeded) {
      log.warn({}, "Lambda deadline near; record returned to the queue");
      return { ok: false };
    }
    if (err instanceof RetryLater) {
      const spec: StageSpec = STAGES[deps.stage];
      const attempts = await failedRuns();
      // Past the stage's retry window (or with none and out of attempts), "later" has become "never".
      if (withinRetryWindow(spec, event.at, Date.now()) ? false : attempts >= spec.maxAttempts) {
        return deadLetter(deps, record, `still failing after ${attempts} attempts: ${err.message}`, attempts, event, log);
      }
      // Retry-After is honoured; the floor doubles to a minute so a window's receives last as long as the window.
      const delay = Math.max(err.delayMs / 1000, Math.min(60, 2 ** (attempts - 1)));
      log.info({ delay_ms: Math.round(delay * 1000), reason: err.message }, "retry later");
      await changeVisibility(deps, record, delay, log);
      return { ok: false };
    }
    if (err instanceof DomainError && err.status === 409) {
      log.info({ reason: err.message }, "concurrent write; retrying");
      await changeVisibility(deps, record, 1 + Math.random() * 2, log);
      return { ok: false };
    }
    if (err instanceof Poison) return deadLetter(deps, record, err.message, receives, err.tenantId ? { ...event, tenant_id: err.tenantId } : event, log);
    const attempts = await failedRuns();
    if (attempts >= STAGES[deps.stage].maxAttempts) {
      log.error({ err }, "attempts exhausted; dead-lettering");
      return deadLetter(deps, record, `failed ${attempts} times; last error: ${errorText(err)}`, attempts, event, log);
    }
    log.error({ err }, "stage failed; will retry");
    await changeVisibility(deps, record, backoffSeconds(attempts), log);
    return { ok: false };
  }
}

/** The ports one record's work sees: ids derived from the event, its own optimistic-lock view, its tenant's embedding cache. */
const scopePorts = (ports: AwsPorts, event: PipelineEvent, record: SQSRecord, log: Logger): Ports => ({
  ...ports,
  newId: deterministicIds(event.type === "source.raw" ? record.messageId : event.id, event.at),
  incidents: ports.incidents.scoped(),
  embedder: event.tenant_id ? ports.embedder.forTenant(event.tenant_id) : ports.embedder,
  log,
});

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500);

function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stop = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new DeadlineExceeded()), Math.max(0, deadline - Date.now())); });
  return Promise.race([work, stop]).finally(() => clearTimeout(timer));
}

async function changeVisibility(deps: BatchDeps, record: SQSRecord, seconds: number, log: Logger) {
  try {
    const { sdk, client } = await deps.ports.clients.sqs.use();
    await client.send(new sdk.ChangeMessageVisibilityCommand({
      QueueUrl: await deps.queues.urlOf(record.eventSourceARN),
      ReceiptHandle: record.receiptHandle,
      VisibilityTimeout: Math.max(0, Math.min(MAX_VISIBILITY_S, Math.ceil(seconds))),
    }));
  } catch (err) {
    // Only the delay is lost: the message still comes back after the queue's own visibility timeout.
    log.warn({ err }, "could not change message visibility");
  }
}

async function deadLetter(deps: BatchDeps, record: SQSRecord, reason: string, attempts: number, event: PipelineEvent | undefined, log: Logger): Promise<Outcome> {
  const url = deps.ports.config.deadLetterQueueUrls[deps.stage];
  const details: DeadLetterDetails = {
    stage: deps.stage,
    tenant_id: event?.tenant_id || "unknown",
    event_type: event?.type ?? STAGES[deps.stage].consumes[0],
    attempts,
    failed_at: new Date().toISOString(),
    ...(isFromQueue(record, deps.ports.config.ingestForwardedQueueUrl) ? { queue: "forwarded" as const } : {}),
  };
  const kept = Object.entries(record.messageAttributes ?? {})
    .filter(([name, v]) => name !== REASON_ATTRIBUTE && name !== DETAILS_ATTRIBUTE && v.stringValue !== undefined)
    .slice(0, KEPT_ATTRIBUTES)
    .map(([name, v]): [string, MessageAttributeValue] => [name, { DataType: v.dataType, StringValue: v.stringValue }]);
  try {
    const { sdk, client } = await deps.ports.clients.sqs.use();
    await client.send(new sdk.SendMessageCommand({
      QueueUrl: url,
      MessageBody: record.body,
      MessageAttributes: {
        ...Object.fromEntries(kept),
        [REASON_ATTRIBUTE]: { DataType: "String", StringValue: reason.slice(0, 1000) || "poison" },
        [DETAILS_ATTRIBUTE]: { DataType: "String", StringValue: JSON.stringify(details) },
      },
      ...(url.endsWith(".fifo") ? { MessageGroupId: record.attributes?.MessageGroupId ?? deps.stage, MessageDeduplicationId: record.messageId } : {}),
    }));
    log.warn({ reason, stage: deps.stage }, "dead-lettered");
    return { ok: true };
  } catch (err) {
    log.error({ err, reason }, "could not dead-letter; leaving the record to the queue's redrive policy");
    return { ok: false };
  }
}
