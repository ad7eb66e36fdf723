import * as z from "zod";
import { BadRequest, jsonDepthExceeds } from "@ir/core";
import { ALARM_STATES, AWS_REGION, alarmArnFor, fromAlarmStateChange, readDimensions, type Dimension } from "./alarm-state";
import { readAwsTags } from "./aws-tags";
import { normalizeCloudWatchEvent } from "./cloudwatch";
import { formatPath, parseBody } from "./parse-body";
import { checkSubscribeUrl } from "./sns-subscribe-url";
import { toIsoTimestamp } from "./timestamp";
import type { Normalized, SourceOptions } from "./types";

const ClassicMetric = z.looseObject({
  Dimensions: z.unknown().optional(),
  MetricName: z.string().nullish(),
  Namespace: z.string().nullish(),
});

/** The alarm notification CloudWatch publishes to SNS; AWS writes null for unset fields, hence nullish. */
const ClassicAlarm = z.looseObject({
  AlarmName: z.string().trim().min(1),
  AlarmDescription: z.string().nullish(),
  AWSAccountId: z.string().nullish(),
  NewStateValue: z.enum(ALARM_STATES),
  NewStateReason: z.string().nullish(),
  StateChangeTime: z.string().nullish(),
  // A display name ("US East (N. Virginia)") in real notifications, not a region code.
  Region: z.string().nullish(),
  AlarmArn: z.string().nullish(),
  OldStateValue: z.string().nullish(),
  Tags: z.unknown().optional(),
  Trigger: z
    .looseObject({
      MetricName: z.string().nullish(),
      Namespace: z.string().nullish(),
      Dimensions: z.unknown().optional(),
      Statistic: z.string().nullish(),
      ExtendedStatistic: z.string().nullish(),
      Unit: z.string().nullish(),
      Period: z.number().nullish(),
      EvaluationPeriods: z.number().nullish(),
      ComparisonOperator: z.string().nullish(),
      Threshold: z.number().nullish(),
      // Metric-math alarms: expressions plus the metrics they read, instead of MetricName/Dimensions.
      Metrics: z
        .array(
          z.looseObject({
            Id: z.string().nullish(),
            Expression: z.string().nullish(),
            Label: z.string().nullish(),
            MetricStat: z.looseObject({ Metric: ClassicMetric.nullish(), Period: z.number().nullish(), Stat: z.string().nullish() }).nullish(),
            ReturnData: z.boolean().nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});

const SNS_TYPES = ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] as const;

const Envelope = z.looseObject({
  Type: z.enum(SNS_TYPES),
  MessageId: z.string().nullish(),
  TopicArn: z.string().nullish(),
  Timestamp: z.string().nullish(),
});
const Notification = Envelope.extend({ Message: z.string() });
const SubscriptionConfirmation = Envelope.extend({ TopicArn: z.string(), SubscribeURL: z.string() });

interface EnvelopeContext {
  topicArn?: string;
  messageId?: string;
  timestamp?: string;
}

const TOPIC_PARTS = /^arn:[^:]+:sns:([^:]+):(\d{12}):/;

const fromClassicAlarm = (body: unknown, opts: SourceOptions, path: readonly PropertyKey[], envelope: EnvelopeContext): Normalized => {
  const alarm = parseBody(ClassicAlarm, body, path);
  const trigger = alarm.Trigger ?? {};
  const math = trigger.Metrics ?? [];
  const stats = [
    ...(trigger.MetricName || trigger.Dimensions ? [{ MetricName: trigger.MetricName, Namespace: trigger.Namespace, Dimensions: trigger.Dimensions }] : []),
    ...math.flatMap((m) => (m.MetricStat?.Metric ? [m.MetricStat.Metric] : [])),
  ];
  const dimensions: Dimension[] = [];
  for (const metric of stats) {
    for (const d of readDimensions(metric.Dimensions)) if (!dimensions.some((x) => x.name === d.name)) dimensions.push(d);
  }

  // Without AlarmArn, the topic's region and account are the best stand-in: the ARN must match what the OK produces.
  const topic = envelope.topicArn ? TOPIC_PARTS.exec(envelope.topicArn) : null;
  const region = alarm.Region && AWS_REGION.test(alarm.Region) ? alarm.Region : topic?.[1];
  const account = alarm.AWSAccountId && /^\d{12}$/.test(alarm.AWSAccountId) ? alarm.AWSAccountId : topic?.[2];
  const alarmArn = alarm.AlarmArn || alarmArnFor(region, account, alarm.AlarmName);
  const tags = readAwsTags(alarm.Tags);
  const expression = math.find((m) => m.Expression)?.Expression ?? undefined;

  const metadata: Record<string, unknown> = {
    alarmName: alarm.AlarmName,
    alarmArn,
    account: alarm.AWSAccountId ?? undefined,
    region: alarm.Region ?? undefined,
    state: alarm.NewStateValue,
    previousState: alarm.OldStateValue ?? undefined,
    namespace: stats[0]?.Namespace ?? undefined,
    metricName: stats[0]?.MetricName ?? undefined,
    dimensions: Object.fromEntries(dimensions.map((d) => [d.name, d.value])),
    statistic: trigger.Statistic ?? trigger.ExtendedStatistic ?? undefined,
    unit: trigger.Unit ?? undefined,
    period: trigger.Period ?? undefined,
    evaluationPeriods: trigger.EvaluationPeriods ?? undefined,
    comparisonOperator: trigger.ComparisonOperator ?? undefined,
    threshold: trigger.Threshold ?? undefined,
    ...(expression ? { expression, metrics: math } : {}),
    ...(tags.size ? { tags: Object.fromEntries(tags) } : {}),
    topicArn: envelope.topicArn,
    messageId: envelope.messageId,
  };
  for (const key of Object.keys(metadata)) if (metadata[key] === undefined) delete metadata[key];

  const changeTime = toIsoTimestamp(alarm.StateChangeTime);
  return fromAlarmStateChange(
    {
      alarmName: alarm.AlarmName,
      description: alarm.AlarmDescription ?? undefined,
      state: alarm.NewStateValue,
      reason: alarm.NewStateReason ?? undefined,
      alarmArn,
      occurredAt: changeTime ?? toIsoTimestamp(envelope.timestamp),
      timeField: formatPath([...path, "StateChangeTime"]),
      tags,
      dimensions,
      metadata,
    },
    opts,
    "sns",
  );
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** A message is an EventBridge event when an EventBridge rule (not a CloudWatch alarm action) fed the topic or queue. */
const isEventBridgeEvent = (value: Record<string, unknown>): boolean => "detail-type" in value && "detail" in value;

/**
 * An SNS HTTP(S) delivery: a notification wrapping a CloudWatch alarm (classic or EventBridge form), a
 * subscription handshake, or — because SQS subscriptions may use raw delivery — the bare message itself.
 * Never fetches anything: a confirmation comes back as `subscription` for the caller to act on.
 */
export const normalizeSns = (body: unknown, opts: SourceOptions): Normalized[] => {
  if (!isRecord(body)) throw new BadRequest("body: expected an SNS message object");
  if (!("Type" in body)) {
    if (isEventBridgeEvent(body)) return normalizeCloudWatchEvent(body, opts, "cloudwatch");
    if ("AlarmName" in body) return [fromClassicAlarm(body, opts, [], {})];
  }

  const envelope = parseBody(Envelope, body);
  const context: EnvelopeContext = {
    topicArn: envelope.TopicArn ?? undefined,
    messageId: envelope.MessageId ?? undefined,
    timestamp: envelope.Timestamp ?? undefined,
  };
  switch (envelope.Type) {
    case "SubscriptionConfirmation": {
      const confirmation = parseBody(SubscriptionConfirmation, body);
      return [{ kind: "subscription", subscribe_url: checkSubscribeUrl(confirmation.SubscribeURL, confirmation.TopicArn), topic_arn: confirmation.TopicArn }];
    }
    case "UnsubscribeConfirmation":
      return [{ kind: "recorded", reason: `SNS unsubscribed this endpoint from ${context.topicArn ?? "a topic"}` }];
    case "Notification": {
      const { Message } = parseBody(Notification, body);
      let message: unknown;
      try {
        if (jsonDepthExceeds(Message)) throw new Error("too deep");
        message = JSON.parse(Message);
      } catch {
        throw new BadRequest("Message: expected JSON of a CloudWatch alarm notification");
      }
      if (isRecord(message) && isEventBridgeEvent(message)) return normalizeCloudWatchEvent(message, opts, "sns", ["Message"]);
      if (!isRecord(message) || !("AlarmName" in message)) throw new BadRequest("Message: expected a CloudWatch alarm notification (AlarmName missing)");
      return [fromClassicAlarm(message, opts, ["Message"], context)];
    }
  }
};
