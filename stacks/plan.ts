import type { EventType } from "../packages/core/src/events";
import { STAGES, type StageName, type StageSpec } from "../packages/core/src/graph";
import { FUNCTION_ENV, FUNCTION_SECRETS, type FunctionName, type SecretName } from "../packages/runtime-aws/src/function-secrets";
import { RETENTION_TAG, RETENTION_TIERS, retentionTagValue } from "../packages/runtime-aws/src/retention-tiers";
import { OPTIONAL_SETTINGS, shellNameOf, type OptionalSetting } from "../packages/runtime-aws/src/optional-settings";

/**
 * The mapping from the stage graph to AWS resources, as data. No SST or Pulumi import here: the stacks turn
 * these plans into resources, and test/infra/plan.test.ts checks them without AWS.
 */

/** EventBridge `source` of every event the pipeline itself puts on the bus (PutEvents). */
export const EVENT_SOURCE = "incident-responder";
export const HANDLERS_DIR = "packages/runtime-aws/src/handlers";
/** AWS: an SQS event source's visibility timeout should be at least six times the function timeout. */
export const VISIBILITY_FACTOR = 6;
/** Lambda's SQS event source hands at most 10 messages to one invocation without a batching window (always for FIFO). */
export const MAX_BATCH = 10;
/** Production stages keep their data when the stage is removed. */
export const PRODUCTION_STAGES = ["prod", "production"] as const;

/** CloudWatch alarms that customers forward from their own accounts (see docs/aws.md, onboarding). */
export const CLOUDWATCH_ALARM_PATTERN = {
  source: ["aws.cloudwatch"],
  "detail-type": ["CloudWatch Alarm State Change"],
} as const;

/**
 * EventBridge cannot set a per-event message group on a FIFO target: `MessageGroupId` is one fixed string per
 * target. An ordered stage therefore gets one rule per (event, shard); each shard matches tenant ids by their
 * last character and targets its own message group. All events of one tenant land in one group, which keeps
 * every (tenant, service) pair in order while unrelated tenants proceed in parallel. The alphabet covers every
 * character `newId()` ends a tenant id with, and more.
 */
export const SHARD_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
export const DEFAULT_SHARDS = 8;

export type EventPattern = Record<string, unknown>;

export interface RulePlan {
  /** Physical EventBridge rule name (also the Pulumi resource name). */
  name: string;
  /** The pipeline event this rule delivers; for external rules, the raw form the stage consumes. */
  event: EventType;
  /**
   * True when the rule matches events from outside the pipeline (customers' CloudWatch alarms). External rules
   * target the stage's forwarded-alarms queue, never the direct-publish queue (see `forwardedQueueName`).
   */
  external: boolean;
  pattern: EventPattern;
  /** FIFO targets only: the message group every event of this rule goes to. */
  messageGroupId?: string;
  /** Sharded rules only: the last characters of the tenant ids this rule matches. */
  tenantSuffixes?: string[];
}

export interface FunctionPlan {
  /** What the function is to the runtime (`IR_FUNCTION`): its stage, `http` or `retention`. */
  name: FunctionName;
  /** SST handler path, `<file without extension>.<export>`. */
  handler: string;
  /** The TypeScript file the handler path names, relative to the repository root. */
  handlerFile: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** The secrets linked to it: those it reads (FUNCTION_SECRETS), and no other. */
  secrets: readonly SecretName[];
}

export interface StagePlan extends FunctionPlan {
  stage: StageName;
  description: string;
  /** PascalCase stage name: prefix of the SST component names (`MatchQueue`, `MatchWorker`, ...). */
  component: string;
  queueName: string;
  dlqName: string;
  fifo: boolean;
  /** Receives before SQS moves a message to the DLQ (the stage's maxAttempts). */
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  batchSize: number;
  /** Environment variable that carries this stage's DLQ URL to the functions. */
  dlqEnvVar: string;
  /** True for the queue producers publish to directly (SQS direct publish). */
  directPublish: boolean;
  /**
   * Direct-publish stage only: a second queue feeding the same function, written to by EventBridge alone (the
   * external rule). Customers may SendMessage to the direct-publish queue, so a message there claiming to be
   * a CloudWatch event from some account proves nothing; a message on this queue was put there by our rule,
   * and its `account` was set by EventBridge. It redrives to the stage's DLQ.
   */
  forwardedQueueName?: string;
  rules: RulePlan[];
  /** Alarm when the oldest message has waited this long: two full visibility cycles, at least ten minutes. */
  oldestMessageAlarmSeconds: number;
  /** CloudWatch alarm names (prefixed like the queues, so stages sharing an account stay apart in the console). */
  alarmNames: { dlqDepth: string; oldestMessage: string; forwardedOldestMessage?: string };
}

export interface PlanOptions {
  /** Prefix of every physical name; the stacks pass `ir-<stage>` so stages can share an account. */
  prefix?: string;
  /** Message groups per ordered stage. */
  shards?: number;
}

/** The HTTP API's function. API Gateway answers 503 after 30 s whatever the function does, so `?wait=` must stay below. */
export const HTTP_FUNCTION: FunctionPlan = {
  name: "http",
  handler: `${HANDLERS_DIR}/http.handler`,
  handlerFile: `${HANDLERS_DIR}/http.ts`,
  memoryMb: 512,
  timeoutSeconds: 30,
  secrets: FUNCTION_SECRETS.http,
};

/**
 * The retention worker (issue 8): purges what each tenant's plan no longer keeps. Hourly, like the embedded
 * runtime's job; Lambda's longest timeout, and the worker stops early and resumes at the next tenant next hour.
 */
export const RETENTION_FUNCTION: FunctionPlan = {
  name: "retention",
  handler: `${HANDLERS_DIR}/retention.handler`,
  handlerFile: `${HANDLERS_DIR}/retention.ts`,
  memoryMb: 512,
  timeoutSeconds: 900,
  secrets: FUNCTION_SECRETS.retention,
};
export const RETENTION_SCHEDULE = "rate(1 hour)" as const;

/** The forwarded-alarms queue's URL, for the ingest function to tell its two sources apart. */
export const FORWARDED_QUEUE_ENV = "IR_INGEST_FORWARDED_QUEUE_URL";

/**
 * Settings the AWS runtime reads with a default: passed on from the deploying shell when set there (as
 * `IR_<name>`, see shellNameOf), and checked now with the runtime's own schema.
 */
export const optionalEnvironment = (env: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries((Object.keys(OPTIONAL_SETTINGS) as OptionalSetting[]).flatMap((k) => {
    const value = env[shellNameOf(k)];
    if (!value) return [];
    const parsed = OPTIONAL_SETTINGS[k].safeParse(value);
    check(parsed.success, `${shellNameOf(k)}=${JSON.stringify(value)}: ${parsed.error?.issues[0]?.message ?? "invalid"}`);
    return [[k, value]];
  }));

/** The deployed resources a function's environment names; values are Pulumi outputs in the stacks, strings in tests. */
export interface EnvironmentValues<V> {
  busName: V;
  bucket: V;
  table: V;
  ingestQueueUrl: V;
  forwardedQueueUrl?: V;
  deadLetterQueueUrl: (stage: StageName) => V;
  publicUrl: V;
}

/**
 * The environment of one function, parsed once at its cold start by the AWS runtime (packages/runtime-aws/src/config.ts).
 * Non-secret settings only (secrets are linked: an environment variable is clear text to `lambda:GetFunctionConfiguration`),
 * the same for every function but `IR_FUNCTION`, which names the function so the runtime requires its secrets.
 */
export function functionEnvironment<V>(fn: FunctionPlan, v: EnvironmentValues<V>, plans: StagePlan[], shell: Record<string, string | undefined>): Record<string, V | string> {
  const env: Record<string, V | string> = {
    [FUNCTION_ENV]: fn.name,
    IR_BUS_NAME: v.busName,
    IR_BUCKET: v.bucket,
    IR_TABLE: v.table,
    IR_INGEST_QUEUE_URL: v.ingestQueueUrl,
    IR_PUBLIC_URL: v.publicUrl,
    NODE_OPTIONS: "--enable-source-maps",
  };
  for (const p of plans) env[p.dlqEnvVar] = v.deadLetterQueueUrl(p.stage);
  if (v.forwardedQueueUrl !== undefined) env[FORWARDED_QUEUE_ENV] = v.forwardedQueueUrl;
  // Model names, log level, a PagerDuty test receiver...: unset means the runtime's defaults.
  return { ...env, ...optionalEnvironment(shell) };
}

const SQS_NAME_MAX = 80;
const RULE_NAME_MAX = 64;
const NAME_CHARS = /^[A-Za-z0-9_.-]+$/;

export const pascal = (s: string) => s.replace(/(^|[-_.])([a-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());

export const dlqEnvVar = (stage: string) => `IR_DLQ_URL_${stage.toUpperCase()}`;

export const isProductionStage = (stage: string) => (PRODUCTION_STAGES as readonly string[]).includes(stage);

/** The last characters of tenant ids that shard `k` of `n` matches: every `n`-th character of the alphabet. */
export const shardSuffixes = (k: number, n: number) => [...SHARD_ALPHABET].filter((_c, i) => i % n === k);

/** Which shard a tenant's events go to (mirrors the patterns; for tests and the docs). */
export const shardOf = (tenantId: string, n: number): number | null => {
  const i = SHARD_ALPHABET.indexOf(tenantId.slice(-1));
  return i < 0 || tenantId.length === 0 ? null : i % n;
};

const check = (ok: boolean, message: string) => {
  if (!ok) throw new Error(`stage plan: ${message}`);
};

/** SQS allows "." only in the ".fifo" suffix: "ir-john.doe-match" would fail CreateQueue halfway through a deploy. */
const SQS_NAME_CHARS = /^[A-Za-z0-9_-]+(?:\.fifo)?$/;
const checkName = (name: string, max: number, what: string, chars = NAME_CHARS) => {
  check(name.length <= max, `${what} "${name}" is ${name.length} characters, AWS allows ${max}; use a shorter stage name`);
  check(chars.test(name), `${what} "${name}" may only use letters, digits, ${chars === NAME_CHARS ? '".", ' : ""}"-" and "_"`);
};

/**
 * The queue's own redrive, the net for crashes (the runtime dead-letters handled failures itself). A retry
 * window needs receives to spend: about one a minute (the backoff's cap) for its length. A FIFO message is
 * also received each time it is handed back unrun behind a failing message of its group (the runtime counts
 * real runs itself): room for it to wait behind FIFO_WAITS messages that use all their attempts.
 */
export const FIFO_WAITS = 3;
/**
 * Receives the runtime hands back without counting a failure (a write lost to a concurrent one, retried at once;
 * a Lambda deadline near): without room for them, a busy incident's records reached the redrive with no reason.
 */
export const UNCOUNTED_RECEIVES = 5;
export const maxReceiveCountOf = (spec: StageSpec, fifo: boolean) => {
  const own = spec.maxAttempts + Math.ceil((spec.retryWindowSeconds ?? 0) / 60) + UNCOUNTED_RECEIVES;
  return Math.min(1000, fifo ? own + FIFO_WAITS * spec.maxAttempts : own);
};

function planRules(stage: StageName, spec: StageSpec, prefix: string, fifo: boolean, shards: number): RulePlan[] {
  const rules: RulePlan[] = [];
  for (const event of spec.consumes) {
    // Raw source messages are not pipeline events: nothing puts `source.raw` on the bus (its bus form is below).
    if (event === "source.raw") continue;
    const base = { source: [EVENT_SOURCE], "detail-type": [event] };
    if (!fifo) {
      rules.push({ name: `${prefix}-${stage}-${event}`, event, external: false, pattern: base });
      continue;
    }
    for (let k = 0; k < shards; k++) {
      const tenantSuffixes = shardSuffixes(k, shards);
      rules.push({
        name: `${prefix}-${stage}-${event}-s${k}`,
        event,
        external: false,
        pattern: { ...base, detail: { tenant_id: tenantSuffixes.map((suffix) => ({ suffix })) } },
        // The same group for every event type of a shard: alarm.resolved must not overtake alarm.embedded.
        messageGroupId: `${stage}-tenants-${k}`,
        tenantSuffixes,
      });
    }
  }
  // Raw alarms from customers' accounts arrive on the bus in AWS's own format; the stage that consumes raw
  // source messages takes them from its forwarded-alarms queue (it maps `account` to the tenant that registered it).
  if ((spec.consumes as readonly EventType[]).includes("source.raw")) {
    check(!fifo, `${stage} consumes source.raw and is ordered; customers' CloudWatch events carry no tenant id to shard on`);
    rules.push({ name: `${prefix}-${stage}-cloudwatch-alarm`, event: "source.raw", external: true, pattern: { ...CLOUDWATCH_ALARM_PATTERN } });
  }
  return rules;
}

/** One plan per stage of the graph: its queue, DLQ, function and the EventBridge rules that feed it. */
export function planStages(stages: Record<string, StageSpec> = STAGES, opts: PlanOptions = {}): StagePlan[] {
  const prefix = opts.prefix ?? "ir";
  const shards = opts.shards ?? DEFAULT_SHARDS;
  check(Number.isInteger(shards) && shards >= 1 && shards <= SHARD_ALPHABET.length, `shards must be 1..${SHARD_ALPHABET.length}, got ${shards}`);

  return Object.entries(stages).map(([name, spec]) => {
    const stage = name as StageName;
    check(/^[a-z][a-z0-9-]*$/.test(stage), `stage name "${stage}" must be lowercase letters, digits and "-"`);
    check(Number.isInteger(spec.timeoutSeconds) && spec.timeoutSeconds >= 1 && spec.timeoutSeconds <= 900, `${stage}.timeoutSeconds must be 1..900 (Lambda's limit)`);
    check(Number.isInteger(spec.batchSize) && spec.batchSize >= 1 && spec.batchSize <= MAX_BATCH, `${stage}.batchSize must be 1..${MAX_BATCH}`);
    check(Number.isInteger(spec.maxAttempts) && spec.maxAttempts >= 1 && spec.maxAttempts <= 1000, `${stage}.maxAttempts must be 1..1000 (SQS maxReceiveCount)`);
    check(Number.isInteger(spec.memoryMb) && spec.memoryMb >= 128 && spec.memoryMb <= 10240, `${stage}.memoryMb must be 128..10240`);
    check(FUNCTION_SECRETS[stage] !== undefined, `${stage} is missing from FUNCTION_SECRETS (packages/runtime-aws/src/function-secrets.ts): list the secrets its function reads`);

    const fifo = spec.ordered;
    const suffix = fifo ? ".fifo" : "";
    const queueName = `${prefix}-${stage}${suffix}`;
    const dlqName = `${prefix}-${stage}-dlq${suffix}`;
    checkName(queueName, SQS_NAME_MAX, "queue name", SQS_NAME_CHARS);
    checkName(dlqName, SQS_NAME_MAX, "DLQ name", SQS_NAME_CHARS);

    const visibilityTimeoutSeconds = spec.timeoutSeconds * VISIBILITY_FACTOR;
    check(visibilityTimeoutSeconds <= 43_200, `${stage}: visibility timeout ${visibilityTimeoutSeconds}s exceeds SQS's 12 hours`);

    const rules = planRules(stage, spec, prefix, fifo, shards);
    for (const rule of rules) checkName(rule.name, RULE_NAME_MAX, "rule name");
    check(rules.length > 0, `${stage} consumes no event that reaches it through the bus`);
    const directPublish = (spec.consumes as readonly EventType[]).includes("source.raw");
    if (directPublish) checkName(`${prefix}-${stage}-forwarded`, SQS_NAME_MAX, "queue name", SQS_NAME_CHARS);

    return {
      name: stage,
      stage,
      description: spec.description,
      component: pascal(stage),
      queueName,
      dlqName,
      fifo,
      maxReceiveCount: maxReceiveCountOf(spec, fifo),
      visibilityTimeoutSeconds,
      handler: `${HANDLERS_DIR}/${stage}.handler`,
      handlerFile: `${HANDLERS_DIR}/${stage}.ts`,
      memoryMb: spec.memoryMb,
      timeoutSeconds: spec.timeoutSeconds,
      batchSize: spec.batchSize,
      secrets: FUNCTION_SECRETS[stage],
      dlqEnvVar: dlqEnvVar(stage),
      directPublish,
      ...(directPublish ? { forwardedQueueName: `${prefix}-${stage}-forwarded` } : {}),
      rules,
      // Past twice the visibility timeout a consumer is stuck or failing; past a deliberate wait, not before it.
      oldestMessageAlarmSeconds: Math.max(600, 2 * visibilityTimeoutSeconds, ((spec as StageSpec).parksUpToSeconds ?? 0) + visibilityTimeoutSeconds),
      alarmNames: {
        dlqDepth: `${prefix}-${stage}-dlq-depth`,
        oldestMessage: `${prefix}-${stage}-oldest-message`,
        ...(directPublish ? { forwardedOldestMessage: `${prefix}-${stage}-forwarded-oldest-message` } : {}),
      },
    };
  });
}

/** The stage producers publish to directly (SQS direct publish, tenant key in the `ir-api-key` attribute). */
export function ingestStage(plans: StagePlan[]): StagePlan {
  const direct = plans.filter((p) => p.directPublish);
  check(direct.length === 1, `exactly one stage must consume source.raw, found ${direct.length}`);
  return direct[0];
}

/** AWS accounts allowed to publish: a comma or whitespace separated list of 12-digit ids (the TenantAwsAccounts secret). */
export function parseAccountIds(raw: string): string[] {
  const ids = raw.split(/[\s,]+/).filter((s) => s.length > 0);
  for (const id of ids) {
    if (!/^\d{12}$/.test(id)) throw new Error(`TenantAwsAccounts: "${id}" is not a 12-digit AWS account id`);
  }
  return [...new Set(ids)].sort();
}

/**
 * S3 lifecycle: one rule per retention tier, keyed by the object tag `retention=<days>d` that the S3 adapter sets
 * from the tenant's plan (a prefix cannot tell the plan). The tiers live beside the adapter that tags with them,
 * so the rules and the tags cannot drift apart. Untagged objects never expire.
 */
export { RETENTION_TAG, RETENTION_TIERS, retentionTagValue };

export interface LifecycleRulePlan {
  id: string;
  tag?: { key: string; value: string };
  expirationDays?: number;
  abortIncompleteMultipartUploadDays?: number;
}

export function lifecycleRules(): LifecycleRulePlan[] {
  return [
    ...RETENTION_TIERS.map((t) => ({
      id: `retention-${retentionTagValue(t.days)}`,
      tag: { key: RETENTION_TAG, value: retentionTagValue(t.days) },
      expirationDays: t.days,
    })),
    { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadDays: 1 },
  ];
}
