/**
 * A Lambda container that dies mid-batch: receives one batch from a stage's queue (as the event source
 * mapping would), runs the stage's real handler on it, and SIGKILLs itself right after its N-th S3
 * PutObject has completed. Run by worker-crash.test.ts as its own process, with the emulators' environment:
 *
 *   IR_CRASH_STAGE, IR_CRASH_AFTER_PUTS, IR_CRASH_VISIBILITY_S, IR_CRASH_REMAINING_MS, plus the runtime's settings.
 */
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { interceptLocalhostDns } from "fauxqs";
import { STAGE_NAMES, type StageName } from "@ir/core";
import { lambdaContext, toRecord } from "./event-source";

// fauxqs names queue hosts sqs.<region>.localhost: resolve them as the parent test process does.
interceptLocalhostDns();

const stage = process.env.IR_CRASH_STAGE as StageName;
if (!STAGE_NAMES.includes(stage)) throw new Error(`IR_CRASH_STAGE must be a stage, got ${stage}`);
const afterPuts = Number(process.env.IR_CRASH_AFTER_PUTS);
const queueUrl = process.env.IR_CRASH_QUEUE_URL!;
const queueArn = process.env.IR_CRASH_QUEUE_ARN!;

const { containerPorts } = await import("../../src/container");
const ports = containerPorts();
let puts = 0;
ports.clients.s3.middlewareStack.add((next, context) => async (args) => {
  const out = await next(args);
  if ((context as { commandName?: string }).commandName === "PutObjectCommand" && ++puts === afterPuts) process.kill(process.pid, "SIGKILL");
  return out;
}, { step: "initialize", name: "crashAfterPuts" });

const { handler } = await import(`../../src/handlers/${stage}`);
const sqs = new SQSClient({});
const got = await sqs.send(new ReceiveMessageCommand({
  QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: Number(process.env.IR_CRASH_VISIBILITY_S ?? 5),
  MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
}));
process.stdout.write(`received ${got.Messages?.length ?? 0}\n`);
await handler({ Records: (got.Messages ?? []).map((m) => toRecord(m, queueArn)) }, lambdaContext(Number(process.env.IR_CRASH_REMAINING_MS ?? 6000)));
// Reaching here means the batch finished before the crash point: the test's setup is wrong.
process.exit(3);
