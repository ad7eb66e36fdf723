import type { Severity } from "@ir/core";

/** The sources a normalizer can name; "sqs" is a transport, so it never appears here. */
export type SourceName = "http" | "alertmanager" | "cloudwatch" | "sns";

/** What one alert in a source payload means for the pipeline. */
export type Normalized =
  | {
      kind: "alarm";
      report: {
        error: string;
        service: string;
        severity?: Severity;
        metadata: Record<string, unknown>;
        occurred_at?: string;
        source: SourceName;
        source_key?: string;
      };
    }
  | { kind: "resolved"; source: SourceName; source_key: string; resolved_by: string; resolution: string; occurred_at: string }
  /** Accepted and worth keeping, but nothing to page on (INSUFFICIENT_DATA, OK with auto-resolve off). */
  | { kind: "recorded"; reason: string }
  /** An SNS SubscriptionConfirmation whose SubscribeURL passed the safety check; the caller decides whether to visit it. */
  | { kind: "subscription"; subscribe_url: string; topic_arn: string };

export type ServiceFrom = "tag" | "dimension" | "alarm_name";

export interface SourceOptions {
  /** Where a CloudWatch alarm's service name comes from, first hit wins (tenant setting `cloudwatch_service_from`). */
  serviceFrom: ServiceFrom[];
  defaultSeverity: Severity;
  /** Whether a source's own "back to normal" (CloudWatch OK) resolves the incident (tenant setting `auto_resolve`). */
  autoResolve: boolean;
}

export type Normalizer = (body: unknown, opts: SourceOptions) => Normalized[];
