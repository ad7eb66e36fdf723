import { BadRequest } from "@ir/core";
import { severityFromLabel } from "./severity-label";
import type { Normalized, SourceName, SourceOptions } from "./types";

export const ALARM_STATES = ["ALARM", "OK", "INSUFFICIENT_DATA"] as const;
export type AlarmStateValue = (typeof ALARM_STATES)[number];

export interface Dimension {
  name: string;
  value: string;
}

/** One CloudWatch alarm state change, whichever envelope (EventBridge event, SNS notification) carried it. */
export interface AlarmStateChange {
  alarmName: string;
  description?: string;
  state: AlarmStateValue;
  reason?: string;
  /** The key an OK uses to find what the ALARM opened, so both envelopes must produce the same one. */
  alarmArn: string;
  occurredAt?: string;
  /** Where occurredAt came from, to name it when a resolution cannot be dated. */
  timeField: string;
  tags: Map<string, string>;
  dimensions: Dimension[];
  metadata: Record<string, unknown>;
}

const MAX_ERROR = 16_000;
const MAX_SERVICE = 200;

/**
 * Dimensions that name the thing at fault rather than a facet of it: an ECS alarm carries ClusterName
 * and ServiceName, a Lambda alarm FunctionName and Resource. Earlier wins; ClusterName last because it is
 * the broadest.
 */
const SERVICE_DIMENSIONS = [
  "ServiceName",
  "FunctionName",
  "DBInstanceIdentifier",
  "DBClusterIdentifier",
  "QueueName",
  "TableName",
  "LoadBalancer",
  "TargetGroup",
  "ApiName",
  "TopicName",
  "StreamName",
  "DeliveryStreamName",
  "CacheClusterId",
  "DomainName",
  "AutoScalingGroupName",
  "ClusterName",
];

/** `app/my-alb/50dc6c495c0c9188` → `my-alb`: the id suffix is noise to a human reading the service. */
const tidyDimensionValue = (value: string): string => /^(?:app|net|gwy|targetgroup)\/([^/]+)\/[0-9a-f]+$/.exec(value)?.[1] ?? value;

const serviceFromDimensions = (dimensions: Dimension[]): string | undefined => {
  const rank = (d: Dimension) => {
    const i = SERVICE_DIMENSIONS.indexOf(d.name);
    return i === -1 ? SERVICE_DIMENSIONS.length : i;
  };
  // A stable pick: the best-ranked name, ties (and all unknown names) resolved by payload order.
  const best = dimensions.reduce<Dimension | undefined>((acc, d) => (acc === undefined || rank(d) < rank(acc) ? d : acc), undefined);
  return best ? tidyDimensionValue(best.value) : undefined;
};

const chooseService = (change: AlarmStateChange, opts: SourceOptions): string => {
  for (const from of opts.serviceFrom) {
    const candidate =
      from === "tag" ? change.tags.get("service") : from === "dimension" ? serviceFromDimensions(change.dimensions) : change.alarmName;
    if (candidate) return candidate.slice(0, MAX_SERVICE);
  }
  // The alarm name always exists, so an incomplete tenant setting never rejects an alarm.
  return change.alarmName.slice(0, MAX_SERVICE);
};

/**
 * Reads `{Name: value}` maps (EventBridge) and `[{name, value}]` lists (SNS, either case) into one shape,
 * keeping payload order because "first dimension" is the fallback service.
 */
export const readDimensions = (source: unknown): Dimension[] => {
  const out: Dimension[] = [];
  const put = (name: unknown, value: unknown) => {
    if (typeof name === "string" && name && (typeof value === "string" || typeof value === "number") && String(value) !== "") {
      out.push({ name, value: String(value) });
    }
  };
  if (Array.isArray(source)) {
    for (const entry of source) {
      if (entry && typeof entry === "object") {
        const e = entry as Record<string, unknown>;
        put(e.name ?? e.Name, e.value ?? e.Value);
      }
    }
  } else if (source && typeof source === "object") {
    for (const [name, value] of Object.entries(source)) put(name, value);
  }
  return out;
};

const partitionOf = (region: string): string => (region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws");

/** The ARN CloudWatch would have given the alarm, for envelopes that leave it out. */
export const alarmArnFor = (region: string | undefined, account: string | undefined, alarmName: string): string =>
  `arn:${partitionOf(region ?? "")}:cloudwatch:${region ?? ""}:${account ?? ""}:alarm:${alarmName}`;

export const AWS_REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

/** Maps a state change onto the pipeline: ALARM opens, OK resolves (if the tenant lets it), the rest is only recorded. */
export const fromAlarmStateChange = (change: AlarmStateChange, opts: SourceOptions, source: SourceName): Normalized => {
  const { alarmName, state } = change;
  if (state === "INSUFFICIENT_DATA") {
    return { kind: "recorded", reason: `CloudWatch alarm ${alarmName} is INSUFFICIENT_DATA: recorded, not paged` };
  }
  if (state === "OK") {
    if (!opts.autoResolve) return { kind: "recorded", reason: `CloudWatch alarm ${alarmName} returned to OK: recorded, auto-resolve is off` };
    if (!change.occurredAt) throw new BadRequest(`${change.timeField}: expected a timestamp to date the resolution`);
    return {
      kind: "resolved",
      source,
      source_key: change.alarmArn,
      resolved_by: "cloudwatch",
      resolution: [`CloudWatch alarm ${alarmName} returned to OK`, change.reason].filter(Boolean).join(": "),
      occurred_at: change.occurredAt,
    };
  }
  // Many alarms repeat their name as description; saying it twice only adds noise to dedup.
  const description = change.description && change.description !== alarmName ? change.description : undefined;
  const error = [alarmName, description, change.reason].filter(Boolean).join(" — ").slice(0, MAX_ERROR);
  return {
    kind: "alarm",
    report: {
      error,
      service: chooseService(change, opts),
      severity: severityFromLabel(change.tags.get("severity"), opts.defaultSeverity),
      metadata: change.metadata,
      ...(change.occurredAt ? { occurred_at: change.occurredAt } : {}),
      source,
      source_key: change.alarmArn,
    },
  };
};
