import * as z from "zod";
import { jsonDepthExceeds } from "@ir/core";
import { ALARM_STATES, alarmArnFor, fromAlarmStateChange, readDimensions, type Dimension } from "./alarm-state";
import { readAwsTags } from "./aws-tags";
import { formatPath, parseBody } from "./parse-body";
import { toIsoTimestamp } from "./timestamp";
import type { Normalized, SourceName, SourceOptions } from "./types";

const MetricStat = z.looseObject({
  metric: z
    .looseObject({
      namespace: z.string().nullish(),
      name: z.string().nullish(),
      dimensions: z.unknown().optional(),
    })
    .nullish(),
  period: z.number().nullish(),
  stat: z.string().nullish(),
});

/** One entry of `configuration.metrics`: a plain metric, or (metric math) an expression over the others. */
const MetricQuery = z.looseObject({
  id: z.string().nullish(),
  expression: z.string().nullish(),
  label: z.string().nullish(),
  metricStat: MetricStat.nullish(),
  returnData: z.boolean().nullish(),
});

const State = z.looseObject({
  value: z.enum(ALARM_STATES),
  reason: z.string().nullish(),
  // Documented as a JSON string; accepted as anything because one broken field must not lose the alarm.
  reasonData: z.unknown().optional(),
  timestamp: z.string().nullish(),
});

export const CLOUDWATCH_DETAIL_TYPE = "CloudWatch Alarm State Change";

const AlarmStateChangeEvent = z.looseObject({
  "detail-type": z.literal(CLOUDWATCH_DETAIL_TYPE),
  source: z.literal("aws.cloudwatch"),
  account: z.string().nullish(),
  region: z.string().nullish(),
  time: z.string().nullish(),
  // ARN strings in practice; objects with their own tags are tolerated for senders that enrich events.
  resources: z.array(z.unknown()).nullish(),
  detail: z.looseObject({
    alarmName: z.string().trim().min(1),
    state: State,
    previousState: z.looseObject({ value: z.string().nullish() }).nullish(),
    configuration: z
      .looseObject({
        description: z.string().nullish(),
        metrics: z.array(MetricQuery).nullish(),
        // Composite alarms have a rule over other alarms instead of metrics.
        alarmRule: z.string().nullish(),
        tags: z.unknown().optional(),
      })
      .nullish(),
    tags: z.unknown().optional(),
  }),
});

const MAX_RAW_REASON_DATA = 2_000;

/** reasonData carries the numbers behind the reason (threshold, datapoints); useful, never essential. */
const readReasonData = (raw: unknown): Record<string, unknown> => {
  if (raw === undefined || raw === null || raw === "") return {};
  let parsed: unknown = raw;
  if (typeof raw === "string") {
    try {
      if (jsonDepthExceeds(raw)) throw new Error("too deep");
      parsed = JSON.parse(raw);
    } catch {
      return { reasonData: raw.slice(0, MAX_RAW_REASON_DATA) };
    }
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return { reasonData: String(raw).slice(0, MAX_RAW_REASON_DATA) };
  const { version: _version, ...fields } = parsed as Record<string, unknown>;
  return fields;
};

/**
 * Normalizes an EventBridge event already known to come through `source` (the SNS normalizer reuses this
 * for events that reached it wrapped or raw); `path` prefixes field names in errors.
 */
export const normalizeCloudWatchEvent = (body: unknown, opts: SourceOptions, source: SourceName, path: readonly PropertyKey[] = []): Normalized[] => {
  const event = parseBody(AlarmStateChangeEvent, body, path);
  const { detail } = event;
  const configuration = detail.configuration ?? {};
  const metrics = configuration.metrics ?? [];
  const stats = metrics.flatMap((m) => (m.metricStat?.metric ? [m.metricStat.metric] : []));

  const dimensions: Dimension[] = [];
  for (const metric of stats) {
    for (const d of readDimensions(metric.dimensions)) if (!dimensions.some((x) => x.name === d.name)) dimensions.push(d);
  }

  const resources = event.resources ?? [];
  const resourceTags = resources.map((r) => (r && typeof r === "object" ? (r as Record<string, unknown>).tags : undefined));
  const tags = readAwsTags(configuration.tags, detail.tags, ...resourceTags);

  const region = event.region ?? undefined;
  const account = event.account ?? undefined;
  const alarmArn =
    resources.find((r): r is string => typeof r === "string" && /^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:/.test(r)) ??
    alarmArnFor(region, account, detail.alarmName);

  const expression = metrics.find((m) => m.expression)?.expression ?? undefined;
  const metadata: Record<string, unknown> = {
    ...readReasonData(detail.state.reasonData),
    alarmName: detail.alarmName,
    alarmArn,
    account,
    region,
    state: detail.state.value,
    previousState: detail.previousState?.value ?? undefined,
    namespace: stats[0]?.namespace ?? undefined,
    metricName: stats[0]?.name ?? undefined,
    dimensions: Object.fromEntries(dimensions.map((d) => [d.name, d.value])),
    ...(expression ? { expression, metrics } : {}),
    ...(configuration.alarmRule ? { alarmRule: configuration.alarmRule } : {}),
    ...(tags.size ? { tags: Object.fromEntries(tags) } : {}),
  };
  for (const key of Object.keys(metadata)) if (metadata[key] === undefined) delete metadata[key];

  const fromTime = toIsoTimestamp(event.time);
  return [
    fromAlarmStateChange(
      {
        alarmName: detail.alarmName,
        description: configuration.description ?? undefined,
        state: detail.state.value,
        reason: detail.state.reason ?? undefined,
        alarmArn,
        occurredAt: fromTime ?? toIsoTimestamp(detail.state.timestamp),
        timeField: formatPath([...path, "time"]),
        tags,
        dimensions,
        metadata,
      },
      opts,
      source,
    ),
  ];
};

/** An EventBridge "CloudWatch Alarm State Change" event, as an EventBridge API destination or rule target delivers it. */
export const normalizeCloudWatch = (body: unknown, opts: SourceOptions): Normalized[] => normalizeCloudWatchEvent(body, opts, "cloudwatch");
