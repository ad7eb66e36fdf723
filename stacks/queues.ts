import type { StageName } from "../packages/core/src/graph";
import type { StagePlan } from "./plan";

const DAY = 24 * 3600;

export interface StageQueueSet {
  queue: sst.aws.Queue;
  dlq: sst.aws.Queue;
  /** Direct-publish stage only: customers' forwarded CloudWatch alarms, written by our EventBridge rule alone. */
  forwarded?: sst.aws.Queue;
}

/** A queue and its dead-letter queue per stage; SQS redrives after the stage's maxAttempts receives. */
export function createQueues(plans: StagePlan[]) {
  const queues = {} as Record<StageName, StageQueueSet>;
  for (const p of plans) {
    // EventBridge needs content-based deduplication on a FIFO target; the event's own id keeps bodies distinct.
    const fifo = p.fifo ? { contentBasedDeduplication: true } : false;
    const dlq = new sst.aws.Queue(`${p.component}Dlq`, {
      fifo,
      transform: {
        queue: (args) => {
          args.name = p.dlqName;
          // Longer than the source queue: a standard queue's message keeps its first enqueue time in the DLQ.
          args.messageRetentionSeconds = 14 * DAY;
          args.sqsManagedSseEnabled = true;
        },
      },
    });
    const stageQueue = (component: string, name: string) =>
      new sst.aws.Queue(component, {
        fifo,
        visibilityTimeout: `${p.visibilityTimeoutSeconds} seconds`,
        dlq: { queue: dlq.arn, retry: p.maxReceiveCount },
        transform: {
          queue: (args) => {
            args.name = name;
            args.messageRetentionSeconds = 4 * DAY;
            args.sqsManagedSseEnabled = true;
            if (p.fifo) {
              // High-throughput FIFO: the quota applies per message group (our shards), not per queue.
              args.deduplicationScope = "messageGroup";
              args.fifoThroughputLimit = "perMessageGroupId";
            }
          },
        },
      });
    queues[p.stage] = {
      queue: stageQueue(`${p.component}Queue`, p.queueName),
      dlq,
      ...(p.forwardedQueueName ? { forwarded: stageQueue(`${p.component}ForwardedQueue`, p.forwardedQueueName) } : {}),
    };
  }
  return queues;
}

export type StageQueues = ReturnType<typeof createQueues>;
