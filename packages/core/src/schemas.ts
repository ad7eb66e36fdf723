import * as z from "zod";
import { Severity } from "./severity";

export const PLANS = ["free", "starter", "professional", "enterprise"] as const;
export const Plan = z.enum(PLANS);
export type Plan = z.infer<typeof Plan>;

export const IncidentStatus = z.enum(["OPEN", "RESOLVED"]);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

const isoDate = z.iso.datetime({ offset: true });
/** Whether a timestamp passes the schemas' own check: a source's clock field that would fail them downstream is dropped at the edge. */
export const isIsoTimestamp = (value: string): boolean => isoDate.safeParse(value).success;
const text = (max: number) => z.string().trim().min(1).max(max);
const Metadata = z.record(z.string().max(200), z.unknown());

export const ALARM_SOURCES = ["http", "alertmanager", "cloudwatch", "sns", "sqs"] as const;

/** Body of `POST /api/v1/incidents` (and of an SQS direct publish). */
export const AlarmReport = z.object({
  error: text(16_000),
  service: text(200).regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters"),
  severity: Severity.optional(),
  metadata: Metadata.optional(),
  occurred_at: isoDate.optional(),
});
export type AlarmReport = z.infer<typeof AlarmReport>;

/** The one canonical alarm every source is normalized to. */
export const Alarm = z.object({
  alarm_id: z.string(),
  tenant_id: z.string(),
  source: z.enum(ALARM_SOURCES),
  error: z.string(),
  service: z.string(),
  severity: Severity,
  metadata: Metadata,
  occurred_at: isoDate,
  received_at: isoDate,
  /** Identity of the alert at its source (Alertmanager fingerprint, CloudWatch alarm ARN): its "resolved" resolves what it opened. */
  source_key: z.string().optional(),
});
export type Alarm = z.infer<typeof Alarm>;

/** A source said "this is over" (Alertmanager resolved, CloudWatch OK). */
export const SourceResolution = z.object({
  tenant_id: z.string(),
  source: z.enum(ALARM_SOURCES),
  source_key: z.string(),
  resolved_by: z.string(),
  resolution: z.string(),
  occurred_at: isoDate,
});
export type SourceResolution = z.infer<typeof SourceResolution>;

export const MatchMethod = z.enum(["fingerprint", "template", "vector", "none"]);
export type MatchMethod = z.infer<typeof MatchMethod>;

export const HistoryEntry = z.object({
  timestamp: isoDate,
  event: z.enum(["created", "recurred", "regressed", "regression_opened", "escalated", "comment_added", "resolved", "runbook_credited", "reopened"]),
  user: z.string(),
  comment: z.string().optional(),
  alarm_id: z.string().optional(),
  match: z.object({ method: MatchMethod, score: z.number() }).optional(),
  incident_id: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const RecommendedRunbook = z.object({
  runbook_id: z.string(),
  title: z.string(),
  similarity: z.number(),
  solution: z.string(),
});
export type RecommendedRunbook = z.infer<typeof RecommendedRunbook>;

export const Recommendation = z.object({
  text: z.string(),
  source: z.enum(["runbook", "past_resolution", "llm"]),
  runbook_id: z.string().optional(),
  incident_id: z.string().optional(),
});
export type Recommendation = z.infer<typeof Recommendation>;

export const PastResolution = z.object({
  incident_id: z.string(),
  similarity: z.number(),
  resolution: z.string(),
  resolved_by: z.string(),
  resolved_at: isoDate,
  runbook_id: z.string().nullable(),
});
export type PastResolution = z.infer<typeof PastResolution>;

export const RelatedIncident = z.object({ incident_id: z.string(), similarity: z.number() });
export type RelatedIncident = z.infer<typeof RelatedIncident>;

/** The incident document of DESIGN §5, plus what dedup needs to find it again. */
export const Incident = z.object({
  incident_id: z.string(),
  tenant_id: z.string(),
  error_message: z.string(),
  service: z.string(),
  severity: Severity,
  status: IncidentStatus,
  runbook_matched: z.boolean(),
  runbook_similarity: z.number(),
  recommended_runbooks: z.array(RecommendedRunbook),
  recommendations: z.array(Recommendation),
  similar_resolutions: z.array(PastResolution),
  related_incidents: z.array(RelatedIncident),
  created_at: isoDate,
  last_seen: isoDate,
  occurrences: z.number().int(),
  history: z.array(HistoryEntry),
  resolution: z.string().nullable(),
  resolved_at: isoDate.nullable(),
  resolved_by: z.string().nullable(),
  resolved_runbook_id: z.string().nullable(),
  regression_of: z.string().nullable(),
  fingerprint: z.string(),
  /** Masked tokens with `<*>` where occurrences differed: the mined template of this incident. */
  template: z.string(),
  source_keys: z.array(z.string()),
  /**
   * Source keys (of `source_keys`) whose source said resolved since they last fired. Alerts of one Alertmanager
   * group often fold into one incident; it resolves when the last of them does, not the first.
   */
  resolved_source_keys: z.array(z.string()).optional(),
  /** When each source key last started firing (the alarm's `occurred_at`): a resolution older than that came late, and is ignored. */
  source_fired_at: z.record(z.string(), isoDate).optional(),
  /** When each source key last said resolved (its `occurred_at`): from CloudWatch, a firing older than that came late, and is over. */
  source_resolved_at: z.record(z.string(), isoDate).optional(),
  /** More alerts folded in than `source_keys` tracks: the incident no longer resolves itself from sources. */
  source_keys_overflowed: z.boolean().optional(),
  flapping: z.boolean(),
  /**
   * What resolved it (the event id of a source's "resolved", or a digest of the API request): the same resolution
   * asked again (a redelivery, a client retry) answers as the first did, its event included.
   */
  resolution_cause: z.string().optional(),
  /**
   * Set while the steps after the status write (vector status, learning credit, counters, audit) are not all done:
   * the next resolve of the incident completes them. On AWS those writes are not one transaction.
   */
  resolution_pending: z.enum(["resolve", "credit"]).optional(),
  /** Its advice missed a lookup (an outage, enrich's time budget): a recurrence from this time on asks again. */
  advice_retry_after: isoDate.optional(),
});
export type Incident = z.infer<typeof Incident>;

export const RunbookInput = z.object({
  title: text(300),
  content: text(100_000),
  tags: z.array(text(100)).max(50).optional(),
});
export type RunbookInput = z.infer<typeof RunbookInput>;

export const Runbook = z.object({
  runbook_id: z.string(),
  tenant_id: z.string(),
  title: z.string(),
  content: z.string(),
  tags: z.array(z.string()),
  created_at: isoDate,
  updated_at: isoDate,
  success_count: z.number().int(),
  /** Times recommended first and then passed over for another runbook: the learning signal against it. */
  failure_count: z.number().int(),
  created_by: z.string(),
});
export type Runbook = z.infer<typeof Runbook>;

/** What the API shows in place of a secret (or of the part of a URL where secrets live). */
export const MASK = "****";

export const NotificationChannel = z.discriminatedUnion("type", [
  z.object({ type: z.literal("slack"), webhook_url: z.url({ protocol: /^https?$/ }) }),
  z.object({ type: z.literal("pagerduty"), routing_key: z.string().min(1).max(64) }),
  // MASK is the secret as GET shows it: a PUT of those settings keeps the stored one (notify's keepMaskedSecrets).
  z.object({ type: z.literal("webhook"), url: z.url({ protocol: /^https?$/ }), secret: z.union([z.string().min(16).max(200), z.literal(MASK)]).optional() }),
]);
export type NotificationChannel = z.infer<typeof NotificationChannel>;

export const NotificationSettings = z.object({
  channels: z.array(NotificationChannel).max(20),
  min_severity: Severity.optional(),
});
export type NotificationSettings = z.infer<typeof NotificationSettings>;

export const AwsAccountId = z.string().regex(/^\d{12}$/, "expected a 12-digit AWS account id");

/**
 * A tenant's claim on an AWS account (see aws-account-claims.ts). Forwarded CloudWatch alarms carry no key, only
 * the account EventBridge stamps on them, so an account's alarms go to the tenant whose claim is verified.
 */
export const AwsAccountClaim = z.object({
  account_id: AwsAccountId,
  status: z.enum(["pending", "verified"]),
  /** Proves ownership once a forwarded alarm from the account carries `ir-verify-<code>`; null for accounts registered before claims existed. */
  verification_code: z.string().nullable(),
  claimed_at: isoDate.nullable(),
  verified_at: isoDate.nullable(),
});
export type AwsAccountClaim = z.infer<typeof AwsAccountClaim>;

/** The highest custom ingest rate: far above what one process decides, so it never binds by accident. */
export const MAX_INGEST_PER_SECOND = 1_000_000;

export const TenantSettings = z.object({
  global_runbooks: z.boolean(),
  notifications: NotificationSettings,
  /** Signs webhook channels saved before each channel got its own secret (generated per tenant, never shown). */
  webhook_secret: z.string(),
  auto_resolve: z.boolean(),
  default_severity: Severity,
  cloudwatch_service_from: z.array(z.enum(["tag", "dimension", "alarm_name"])),
  /** Every account the tenant claims, pending or verified. */
  aws_account_ids: z.array(AwsAccountId),
  /** The claims on `aws_account_ids`, one each; absent from documents written before claims existed (see awsAccountClaimsOf). */
  aws_account_claims: z.array(AwsAccountClaim).optional(),
  /** Enterprise only: days incidents and alarms are kept (other plans' retention is fixed by the plan). */
  retention_days: z.number().int().min(1).max(3650).optional(),
  /** Enterprise only: alarms a second the tenant may report (other plans' rate is fixed by the plan). */
  ingest_per_second: z.number().int().min(1).max(MAX_INGEST_PER_SECOND).optional(),
});
export type TenantSettings = z.infer<typeof TenantSettings>;

export const Tenant = z.object({
  tenant_id: z.string(),
  name: z.string(),
  plan: Plan,
  created_at: isoDate,
  settings: TenantSettings,
});
export type Tenant = z.infer<typeof Tenant>;

export const ApiKey = z.object({
  key_id: z.string(),
  tenant_id: z.string(),
  label: z.string(),
  prefix: z.string(),
  hash: z.string(),
  created_at: isoDate,
  last_used_at: isoDate.nullable(),
  expires_at: isoDate.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

export const OutcomeStatus = z.enum(["new", "existing", "regression"]);
export const Outcome = z.object({
  alarm_id: z.string(),
  status: OutcomeStatus,
  incident_id: z.string(),
  occurrences: z.number().int(),
  severity: Severity,
  regression_of: z.string().optional(),
  related_incidents: z.array(RelatedIncident).optional(),
  runbooks: z.array(z.object({ runbook_id: z.string(), title: z.string(), similarity: z.number() })),
  recommendations: z.array(Recommendation),
  match: z.object({ method: MatchMethod, score: z.number() }),
});
export type Outcome = z.infer<typeof Outcome>;

export const AuditEvent = z.object({
  event_id: z.string(),
  tenant_id: z.string(),
  at: isoDate,
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;
