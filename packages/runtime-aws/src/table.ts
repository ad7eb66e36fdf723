import type { DynamoTable } from "./dynamo-table";

/**
 * The single DynamoDB table, spelled once. Everything a tenant owns lives in partition `tenant#<id>` so a
 * GDPR erase is one partition walk; the few items looked up by something other than the tenant (an API key
 * by hash, a tenant by AWS account, dead letters for the operator) have their own partitions and are
 * deleted by the eraser explicitly.
 */
export const pk = {
  tenant: (tenantId: string) => `tenant#${tenantId}`,
  apiKey: (hash: string) => `apikey#${hash}`,
  keyId: (keyId: string) => `keyid#${keyId}`,
  awsAccount: (accountId: string) => `awsacct#${accountId}`,
  /** Vectors written in the last few minutes, for reads the eventually consistent index cannot answer yet. */
  recentVectors: (namespace: string) => `vec#${namespace}`,
  deadLetters: "deadletter",
  /** Every tenant id, one item each: the retention worker walks it instead of scanning the whole table. */
  tenants: "tenants",
  /** The retention worker's own state (where an interrupted run resumes, whether the registry was backfilled). */
  retention: "retention",
} as const;

export const sk = {
  tenant: "tenant",
  key: (keyId: string) => `key#${keyId}`,
  lookup: "lookup",
  /** Under `awsacct#<id>`: a tenant's pending claim on the account (`lookup` there is the verified one). */
  awsAccountClaim: (tenantId: string) => `claim#${tenantId}`,
  awsAccountClaimPrefix: "claim#",
  incident: (incidentId: string) => `inc#${incidentId}`,
  incidentPrefix: "inc#",
  fingerprint: (service: string, fingerprint: string) => `fp#${service}#${fingerprint}`,
  sourceKey: (sourceKey: string) => `src#${sourceKey}`,
  alarm: (alarmId: string) => `alarm#${alarmId}`,
  alarmPrefix: "alarm#",
  idempotency: (keyHash: string) => `idem#${keyHash}`,
  idempotencyPrefix: "idem#",
  usage: (period: string) => `usage#${period}`,
  kv: (key: string) => `kv#${key}`,
  registered: (tenantId: string) => tenantId,
  audit: (at: string, eventId: string) => `audit#${at}#${eventId}`,
  auditPrefix: "audit#",
  lease: (name: string) => `lease#${name}`,
  processed: (stage: string, eventId: string) => `evt#${stage}#${eventId}`,
  failures: (stage: string, eventId: string) => `fail#${stage}#${eventId}`,
  embedding: (model: string, textHash: string) => `emb#${model}#${textHash}`,
} as const;

/** DynamoDB's TTL attribute (epoch seconds). TTL deletes lazily (up to days late), so readers also check it. */
export const TTL_ATTRIBUTE = "expires_at";
export const ttlIn = (now: number, seconds: number) => Math.floor(now / 1000) + seconds;
const DAY_S = 86_400;
/** Epoch seconds `days` after an ISO time (or after now when the time is missing or unparsable). */
export const ttlAfter = (iso: string | null | undefined, days: number, now = Date.now()) => {
  const at = iso ? Date.parse(iso) : Number.NaN;
  return Math.floor((Number.isNaN(at) ? now : at) / 1000) + days * DAY_S;
};
/**
 * TTL fires up to days late but may fire early in that window, and an incident head deleted by TTL before the hourly
 * retention worker saw it would strand the incident's vector in Pinecone (nothing else lists them). Incident items
 * therefore expire this long after the retention cutoff the worker purges at: TTL is the backstop, the worker purges.
 */
export const TTL_GRACE_DAYS = 2;
/** Rounded up to a whole UTC day: items whose expiry only moves a day at a time need rewriting once a day at most. */
export const ttlDay = (epochSeconds: number) => Math.ceil(epochSeconds / DAY_S) * DAY_S;

/**
 * The smallest id `newId` or `deterministicIds` could mint with `prefix` at `ms`: ids are `<prefix>_<base36 ms>…`,
 * so every id minted before `ms` sorts below it, and a key range up to it finds what is old enough to purge.
 */
export const idMintedAt = (prefix: string, ms: number) => `${prefix}_${Math.max(0, ms).toString(36).padStart(9, "0")}`;

export const isExpired = (item: Record<string, unknown> | undefined, now: number) =>
  typeof item?.[TTL_ATTRIBUTE] === "number" && (item[TTL_ATTRIBUTE] as number) * 1000 <= now;

export const isConditionFailed = (err: unknown): boolean =>
  err instanceof Error && (err.name === "ConditionalCheckFailedException" || err.name === "TransactionCanceledException");

/** Frees the account's lookup only if this tenant holds it: a release never frees an account another tenant verified. */
export const releaseAwsAccountLookup = (table: DynamoTable, accountId: string, tenantId: string): Promise<void> =>
  table.delete({ pk: pk.awsAccount(accountId), sk: sk.lookup }, { expression: "tenant_id = :t", values: { ":t": tenantId } }).then(() => undefined, (err) => {
    if (!isConditionFailed(err)) throw err;
  });
