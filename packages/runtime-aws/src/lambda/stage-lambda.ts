import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { StageHandler, StageName } from "@ir/core";
import type { AwsPorts } from "../ports";
import { logContext, logOf } from "./log-context";
import { ProcessedEvents } from "./processed-events";
import { SourceQueues } from "./source-queues";
import { runBatch } from "./sqs-batch";

/** Time kept back from the Lambda deadline to report unfinished records and release leases. */
const reserveMs = (remaining: number) => Math.min(10_000, Math.max(1_500, remaining * 0.1));

/**
 * A stage's Lambda: an SQS event source in, `batchItemFailures` out. Middy's own early-timeout is off
 * because it can only answer for the whole batch; the batch runner stops each record at the deadline and
 * reports exactly the unfinished ones.
 */
export const stageLambda = (stage: StageName, stageHandler: StageHandler, ports: AwsPorts) => {
  const deps = { stage, handler: stageHandler, ports, processed: new ProcessedEvents(ports.table), queues: new SourceQueues(ports.clients.sqs) };
  const base = ports.log.child({ stage });
  return middy<SQSEvent, SQSBatchResponse, Error, Context>({ timeoutEarlyInMillis: 0 })
    .use(logContext<SQSEvent, SQSBatchResponse>(base))
    .handler(async (event, context) => {
      const remaining = typeof context.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : 60_000;
      const deadline = Date.now() + remaining - reserveMs(remaining);
      const log = logOf(context, base);
      const batchItemFailures = await runBatch(deps, event.Records ?? [], deadline, log);
      if (batchItemFailures.length) log.info({ records: event.Records.length, failed: batchItemFailures.length }, "batch done with failures");
      return { batchItemFailures };
    });
};
