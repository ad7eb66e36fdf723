import { randomUUID } from "node:crypto";
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { STAGE_NAMES, type StageName } from "@ir/core";
import { REGION } from "./emulators";

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export const lambdaContext = (remainingMs = 60_000): Context => {
  const end = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false, functionName: "test", functionVersion: "$LATEST", invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:test",
    memoryLimitInMB: "256", awsRequestId: randomUUID(), logGroupName: "/aws/lambda/test", logStreamName: "test",
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()), done: () => undefined, fail: () => undefined, succeed: () => undefined,
  };
};

/** Messages on a queue: visible, in flight or delayed. */
export const messagesIn = async (sqs: SQSClient, url: string) => {
  const { Attributes: a = {} } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
  }));
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
};

/**
 * Whether every stage queue is empty. The queues are read one by one, upstream first (STAGE_NAMES is in
 * pipeline order; notify's sends to itself go out before its own record is deleted): a stage publishes its
 * outputs before its record is deleted, so work moving downstream between two reads is still seen upstream,
 * in flight. Read all at once, a message could leave the upstream queue after it was read and land on a
 * downstream queue read before.
 */
export async function stageQueuesEmpty(sqs: SQSClient, queues: Record<StageName, { url: string }>): Promise<boolean> {
  for (const stage of STAGE_NAMES) if (await messagesIn(sqs, queues[stage].url) > 0) return false;
  return true;
}

/** An SQS message as Lambda hands it to a function. */
export const toRecord = (m: Message, arn: string): SQSRecord => ({
  messageId: m.MessageId!,
  receiptHandle: m.ReceiptHandle!,
  body: m.Body ?? "",
  attributes: {
    ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
    SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: m.Attributes?.SenderId ?? "000000000000",
    ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, {
    stringValue: v.StringValue, dataType: v.DataType ?? "String", stringListValues: [], binaryListValues: [],
  }])),
  md5OfBody: m.MD5OfBody ?? "",
  eventSource: "aws:sqs",
  eventSourceARN: arn,
  awsRegion: REGION,
});

/**
 * What Lambda's SQS event source mapping does: receive up to a batch, invoke, delete what did not fail.
 * `concurrency` pollers per stage invoke in parallel, as Lambda scales out on a busy queue.
 */
export class EventSourceMappings {
  private running = false;
  private loops: Promise<void>[] = [];
  invocations = 0;
  errors: unknown[] = [];

  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: Record<StageName, { url: string; arn: string }>,
    private readonly handlers: Record<StageName, SqsHandler>,
    private readonly opts: { concurrency: number; batchSize?: number; visibilitySeconds?: number } = { concurrency: 2 },
  ) {}

  start() {
    this.running = true;
    for (const stage of STAGE_NAMES) for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.poll(stage));
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** One receive-invoke-delete round for a stage; returns how many records it handled. */
  async once(stage: StageName, waitSeconds = 0): Promise<number> {
    const { url, arn } = this.queues[stage];
    const out = await this.sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: this.opts.batchSize ?? 10, WaitTimeSeconds: waitSeconds,
      VisibilityTimeout: this.opts.visibilitySeconds, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
    }));
    const messages = out.Messages ?? [];
    if (!messages.length) return 0;
    this.invocations++;
    const records = messages.map((m) => toRecord(m, arn));
    let failed = new Set(records.map((r) => r.messageId));
    try {
      const res = await this.handlers[stage]({ Records: records }, lambdaContext());
      failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      this.errors.push(err);
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length) await this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    return messages.length;
  }

  private async poll(stage: StageName) {
    while (this.running) {
      try {
        await this.once(stage, 1);
      } catch (err) {
        this.errors.push(err);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}
