import type { SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { makeEvent, STAGES, type PipelineEvent, type StageHandler } from "@ir/core";
import { ProcessedEvents } from "../src/lambda/processed-events";
import { runBatch } from "../src/lambda/sqs-batch";
import type { SourceQueues } from "../src/lambda/source-queues";
import type { AwsPorts } from "../src/ports";
import { useAwsEnvironment } from "./support/environment";

/**
 * The match queue is FIFO: a failed message holds back the rest of its group (a shard of tenants). These
 * tests drive one batch at a time, as Lambda hands it over, and watch what the runtime tells SQS.
 */
const aws = useAwsEnvironment();
const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } } as never;

let seq = 0;
const resolution = (tenantId: string): PipelineEvent => {
  const at = new Date().toISOString();
  return makeEvent("alarm.resolved", tenantId, `cause-${++seq}`, { tenant_id: tenantId, source: "alertmanager", source_key: `am:${seq}`, resolved_by: "alertmanager", resolution: "resolved", occurred_at: at }, at);
};
const recordOf = (event: PipelineEvent, receives: number): SQSRecord => ({
  messageId: `m-${event.id}`, receiptHandle: `rh-${event.id}`, body: JSON.stringify({ "detail-type": event.type, source: "incident-responder", detail: event }),
  attributes: { ApproximateReceiveCount: String(receives), SentTimestamp: String(Date.now()), SenderId: "0", ApproximateFirstReceiveTimestamp: String(Date.now()), MessageGroupId: "shard-0" },
  messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:ir-match.fifo", awsRegion: "us-east-1",
});

/** The stage's batch runner with SQS calls recorded instead of sent, and a handler that fails the events in `failing`. */
function harness(failing: Set<string>) {
  const visibility = new Map<string, number>();
  const deadLettered: string[] = [];
  const ran: string[] = [];
  const sdk = {
    ChangeMessageVisibilityCommand: class { constructor(readonly input: { ReceiptHandle: string; VisibilityTimeout: number }) {} },
    SendMessageCommand: class { constructor(readonly input: { MessageBody: string }) {} },
  };
  const client = {
    send: async (cmd: { input: Record<string, unknown> }) => {
      if (cmd instanceof sdk.ChangeMessageVisibilityCommand) visibility.set(cmd.input.ReceiptHandle, cmd.input.VisibilityTimeout);
      else deadLettered.push(String(cmd.input.MessageBody));
      return {};
    },
  };
  const handler: StageHandler = async (event) => {
    ran.push(event.id);
    if (failing.has(event.id)) throw new Error("downstream unavailable");
    return [];
  };
  const ports = { ...aws.ports, clients: { ...aws.ports.clients, sqs: { use: async () => ({ sdk, client }) } } } as unknown as AwsPorts;
  const deps = { stage: "match" as const, handler, ports, processed: new ProcessedEvents(aws.ports.table), queues: { urlOf: async () => "https://sqs.local/ir-match.fifo" } as unknown as SourceQueues };
  const run = (records: SQSRecord[]) => runBatch(deps, records, Date.now() + 30_000, quiet);
  return { run, visibility, deadLettered, ran };
}

describe("a FIFO stage batch", () => {
  it("hands the messages behind a failed one back at once, unrun, and keeps the failed one's retry delay", async () => {
    const [head, second, third] = [resolution("t_fifo_a"), resolution("t_fifo_b"), resolution("t_fifo_c")];
    const h = harness(new Set([head.id]));
    const failures = await h.run([recordOf(head, 1), recordOf(second, 1), recordOf(third, 1)]);

    expect(failures.map((f) => f.itemIdentifier)).toEqual([`m-${head.id}`, `m-${second.id}`, `m-${third.id}`]);
    expect(h.ran).toEqual([head.id]);
    expect(h.visibility.get(`rh-${head.id}`)).toBeGreaterThan(0);
    // Left in flight, they would hold the group until the queue's visibility timeout (6x the function's).
    expect(h.visibility.get(`rh-${second.id}`)).toBe(0);
    expect(h.visibility.get(`rh-${third.id}`)).toBe(0);
  });

  it("counts the runs that failed, not the receives spent waiting behind others", async () => {
    const event = resolution("t_fifo_d");
    const h = harness(new Set([event.id]));
    const { maxAttempts } = STAGES.match;
    // Received many times already while other messages of its group failed: its first failure is its first attempt.
    for (let run = 1; run < maxAttempts; run++) {
      expect(await h.run([recordOf(event, 10 + run)])).toHaveLength(1);
      expect(h.deadLettered).toHaveLength(0);
    }
    expect(await h.run([recordOf(event, 10 + maxAttempts)])).toHaveLength(0);
    expect(h.deadLettered).toHaveLength(1);
    expect(h.ran).toHaveLength(maxAttempts);
  });
});
