import type { EventType, PipelineEvent } from "./events";
import type { Clock, NewId } from "./ids";
import { withinRetryWindow, type StageSpec } from "./graph";
import type { Alarm, ApiKey, AuditEvent, Incident, IncidentStatus, Outcome, Recommendation, RecommendedRunbook, PastResolution, Runbook, Tenant } from "./schemas";

/**
 * The ports every stage talks through. The embedded runtime implements them on SQLite and an in-memory
 * index; the AWS runtime on S3, DynamoDB, SQS/EventBridge, Pinecone and OpenAI. A stage never knows which.
 */

export interface Page<T> { items: T[]; next_cursor: string | null }
export interface PageQuery { limit: number; cursor?: string }

export interface TenantStore {
  create(tenant: Tenant, key: ApiKey): Promise<void>;
  get(tenantId: string): Promise<Tenant | null>;
  update(tenant: Tenant): Promise<void>;
  /** The tenant whose claim on the AWS account is verified: forwarded alarms from the account are its (see aws-account-claims.ts). */
  findByAwsAccount(accountId: string): Promise<Tenant | null>;
  /** Claims on the account still waiting for verification, any number of tenants. */
  pendingAwsAccountClaims(accountId: string): Promise<Array<{ tenant_id: string; verification_code: string }>>;
  /**
   * The tenant proved it owns the account: its claim becomes the account's verified one and every other tenant's
   * pending claim on it is dropped. "verified" the first time; "already" when it was (the step completes again,
   * for a redelivered event); "refused" when the tenant does not claim the account or another tenant verified first.
   */
  verifyAwsAccount(accountId: string, tenantId: string, at: string): Promise<"verified" | "already" | "refused">;
  putKey(key: ApiKey): Promise<void>;
  /** The key record for a hash, if it is live (not revoked, not expired at `now`). */
  findKey(hash: string, now: string): Promise<ApiKey | null>;
  listKeys(tenantId: string): Promise<ApiKey[]>;
  /** Revoke now, or at `at` (a rotation's overlap window). */
  expireKey(tenantId: string, keyId: string, at: string): Promise<boolean>;
  touchKey(keyId: string, at: string): Promise<void>;
}

export interface IncidentQuery extends PageQuery {
  status?: IncidentStatus;
  service?: string;
  /** Only incidents created before this time (ISO): a window in the past is read from its end, not from today. */
  created_before?: string;
}

export interface IncidentStore {
  get(tenantId: string, incidentId: string): Promise<Incident | null>;
  put(incident: Incident): Promise<void>;
  list(tenantId: string, query: IncidentQuery): Promise<Page<Incident>>;
  /** The newest incident opened for this exact masked message, the fastest dedup path. */
  findByFingerprint(tenantId: string, service: string, fingerprint: string): Promise<string | null>;
  indexFingerprint(tenantId: string, service: string, fingerprint: string, incidentId: string): Promise<void>;
  findBySourceKey(tenantId: string, sourceKey: string): Promise<string | null>;
  indexSourceKey(tenantId: string, sourceKey: string, incidentId: string): Promise<void>;
}

export interface RunbookStore {
  get(tenantId: string, runbookId: string): Promise<Runbook | null>;
  put(runbook: Runbook): Promise<void>;
  delete(tenantId: string, runbookId: string): Promise<boolean>;
  list(tenantId: string, query: PageQuery): Promise<Page<Runbook>>;
  count(tenantId: string): Promise<number>;
}

export type AlarmState = { alarm_id: string; status: "queued" } | Outcome;

/** Accepting an alarm is one atomic step: record it, honour the idempotency key, enqueue it. */
export interface AlarmStore {
  /** Returns the alarm id that holds the idempotency key: the given one, or an earlier alarm's. */
  accept(alarm: Alarm, idempotencyKey: string | undefined): Promise<{ alarm_id: string; duplicate: boolean }>;
  /** The alarm id that holds the idempotency key, if one does: accept's first step, without accepting anything. */
  findByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<string | null>;
  get(tenantId: string, alarmId: string): Promise<AlarmState | null>;
  putOutcome(tenantId: string, outcome: Outcome): Promise<void>;
}

export type VectorMetadata = Record<string, string | number | boolean | string[]>;
export interface VectorMatch { id: string; score: number; metadata: VectorMetadata }
export interface VectorIndex {
  upsert(namespace: string, items: Array<{ id: string; vector: Float32Array; metadata: VectorMetadata }>): Promise<void>;
  /** Nearest by cosine, restricted to metadata fields equal to `filter`. */
  query(namespace: string, vector: Float32Array, opts: { topK: number; filter: Record<string, string> }): Promise<VectorMatch[]>;
  update(namespace: string, id: string, metadata: VectorMetadata): Promise<void>;
  delete(namespace: string, ids: string[]): Promise<void>;
  deleteNamespace(namespace: string): Promise<void>;
}

/** Similarity thresholds belong to the embedder: cosines of different models are not comparable. */
export interface EmbedderThresholds {
  /** At or above: the same problem, merged. */
  merge: number;
  /** At or above (and below merge): returned as related, not merged. */
  related: number;
  /** A runbook at or above this fused score is `runbook_matched`. */
  runbook: number;
}
export interface Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly thresholds: EmbedderThresholds;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export interface RecommendationInput {
  incident: Incident;
  runbooks: Array<RecommendedRunbook & { content: string }>;
  pastResolutions: PastResolution[];
}
export interface RecommendationWriter {
  write(input: RecommendationInput): Promise<Recommendation[]>;
}

export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
  list(tenantId: string, query: PageQuery): Promise<Page<AuditEvent>>;
}

/** Monthly counters (incidents opened, alarms received, ...). Adds are not read back: a runtime may batch them. */
export interface UsageMeter {
  add(tenantId: string, period: string, counter: string, n: number): Promise<void>;
  /**
   * Adds every counter of `counts` to the period's record in one atomic write. With `once`, a token naming the
   * step that counts: a write repeating a token the record still holds adds nothing. On AWS a step's writes are
   * not one transaction, and the retry of a step a crash cut short must not count it twice. The caller `forget`s
   * the token once it has recorded the step as done.
   */
  addAll(tenantId: string, period: string, counts: Record<string, number>, once?: string): Promise<void>;
  forget(tenantId: string, period: string, once: string): Promise<void>;
  get(tenantId: string, period: string): Promise<Record<string, number>>;
}

/** Small per-tenant state (notification policy, learning counters): read, then write if unchanged. */
export interface KvStore {
  get<T>(tenantId: string, key: string): Promise<T | null>;
  put<T>(tenantId: string, key: string, value: T): Promise<void>;
  /**
   * Atomic read-modify-write: `fn` gets the stored value and returns the new one, or undefined to leave it.
   * Concurrent updates of one key never lose each other's writes; `fn` may run more than once, so it must be
   * pure. Resolves to the value stored afterwards.
   */
  update<T>(tenantId: string, key: string, fn: (current: T | null) => T | undefined): Promise<T | null>;
}

export interface Bus {
  publish(events: PipelineEvent[]): Promise<void>;
}

export interface DeadLetter { id: string; stage: string; tenant_id: string; event_type: EventType; reason: string; failed_at: string; attempts: number; body: string }
export interface DeadLetters {
  list(tenantId: string | null, query: PageQuery): Promise<Page<DeadLetter>>;
  replay(tenantId: string | null, id: string): Promise<boolean>;
}

/** Everything that erases a tenant lives behind one call per runtime, so nothing is forgotten. */
export interface TenantEraser {
  erase(tenantId: string): Promise<void>;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

export interface Ports {
  clock: Clock;
  newId: NewId;
  log: Logger;
  tenants: TenantStore;
  incidents: IncidentStore;
  runbooks: RunbookStore;
  alarms: AlarmStore;
  vectors: VectorIndex;
  embedder: Embedder;
  writer: RecommendationWriter;
  audit: AuditLog;
  usage: UsageMeter;
  kv: KvStore;
  bus: Bus;
  deadLetters: DeadLetters;
  eraser: TenantEraser;
  settings: RuntimeSettings;
}

export interface RuntimeSettings {
  /** Base URL users open incidents at (links in notifications). */
  publicUrl: string;
  pagerdutyEventsUrl: string;
  /** AWS refuses private and link-local webhook targets; the embedded runtime runs on the user's machine and may use loopback. */
  allowPrivateTargets: boolean;
}

/** A stage handles one event and returns the events it emits; the runtime makes the hand-off atomic or idempotent. */
export type StageHandler = (event: PipelineEvent, ports: Ports) => Promise<PipelineEvent[]>;

/** Thrown by a handler to be retried after a delay (e.g. a 429 with Retry-After). */
export class RetryLater extends Error {
  constructor(message: string, readonly delayMs: number) { super(message); this.name = "RetryLater"; }
}
/** Thrown by a handler for a message that can never succeed: dead-lettered at once with the reason. */
export class Poison extends Error {
  /** `tenantId`: whose message it was, when the event does not say (a raw message, known once its key is read). */
  constructor(message: string, readonly tenantId?: string) { super(message); this.name = "Poison"; }
}
/**
 * Whether a message that failed its `attempts`-th run with `err` is done for (dead-lettered): Poison at once;
 * RetryLater once out of attempts and past the stage's retry window; anything else once out of attempts.
 */
export const retriesExhausted = (spec: StageSpec, err: unknown, attempts: number, eventAt: string, nowMs: number): boolean =>
  err instanceof Poison || (attempts >= spec.maxAttempts && !(err instanceof RetryLater && withinRetryWindow(spec, eventAt, nowMs)));
