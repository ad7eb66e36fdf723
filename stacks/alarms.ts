import type { BusResources } from "./bus";
import type { StagePlan } from "./plan";
import type { StageQueues } from "./queues";

/**
 * Alarms on the pipeline itself, published to the `OpsAlerts` topic (subscribe on-call to it, see docs/aws.md):
 * any message in a DLQ or in the bus's undelivered queue, and a stage queue whose oldest message waited too long.
 */
export function createAlarms(plans: StagePlan[], queues: StageQueues, bus: BusResources) {
  const topic = new sst.aws.SnsTopic("OpsAlerts");
  const actions = { alarmActions: [topic.arn], okActions: [topic.arn] };

  const depth = (name: string, queueName: $util.Input<string>, description: string) =>
    new aws.cloudwatch.MetricAlarm(name, {
      name,
      alarmDescription: description,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: queueName },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      // SQS stops reporting for idle queues; keep the last state rather than clearing an alarm on a silent DLQ.
      treatMissingData: "ignore",
      ...actions,
    });

  const age = (name: string, queueName: $util.Input<string>, stage: string, seconds: number) =>
    new aws.cloudwatch.MetricAlarm(name, {
      name,
      alarmDescription: `${stage}: oldest message older than ${seconds}s (stuck or failing consumer)`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: queueName },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      threshold: seconds,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      ...actions,
    });

  for (const p of plans) {
    const { queue, dlq, forwarded } = queues[p.stage];
    depth(p.alarmNames.dlqDepth, dlq.nodes.queue.name, `${p.stage}: messages in the dead-letter queue (GET /api/v1/dlq, replay once fixed)`);
    age(p.alarmNames.oldestMessage, queue.nodes.queue.name, p.stage, p.oldestMessageAlarmSeconds);
    if (forwarded && p.alarmNames.forwardedOldestMessage) {
      age(p.alarmNames.forwardedOldestMessage, forwarded.nodes.queue.name, `${p.stage} (forwarded alarms)`, p.oldestMessageAlarmSeconds);
    }
  }
  depth(`ir-${$app.stage}-bus-undelivered-depth`, bus.undelivered.nodes.queue.name, "events EventBridge could not deliver to a stage queue");

  return { topic };
}
