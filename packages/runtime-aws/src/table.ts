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
} as const;

export const sk = {
  tenant: "tenant",
  key: (keyId: string) => `key#${keyId}`,
  lookup: "lookup",
  incident: (incidentId: string) => `inc#${incidentId}`,
  incidentPrefix: "inc#",
  fingerprint: (service: string, fingerprint: string) => `fp#${service}#${fingerprint}`,
  sourceKey: (sourceKey: string) => `src#${sourceKey}`,
  alarm: (alarmId: string) => `alarm#${alarmId}`,
  idempotency: (keyHash: string) => `idem#${keyHash}`,
  usage: (period: string) => `usage#${period}`,
  kv: (key: string) => `kv#${key}`,
  audit: (at: string, eventId: string) => `audit#${at}#${eventId}`,
  auditPrefix: "audit#",
  lease: (name: string) => `lease#${name}`,
  processed: (stage: string, eventId: string) => `evt#${stage}#${eventId}`,
  embedding: (model: string, textHash: string) => `emb#${model}#${textHash}`,
} as const;

/** DynamoDB's TTL attribute (epoch seconds). TTL deletes lazily (up to days late), so readers also check it. */
export const TTL_ATTRIBUTE = "expires_at";
export const ttlIn = (now: number, seconds: number) => Math.floor(now / 1000) + seconds;
export const isExpired = (item: Record<string, unknown> | undefined, now: number) =>
  typeof item?.[TTL_ATTRIBUTE] === "number" && (item[TTL_ATTRIBUTE] as number) * 1000 <= now;

export const isConditionFailed = (err: unknown): boolean =>
  err instanceof Error && (err.name === "ConditionalCheckFailedException" || err.name === "TransactionCanceledException");
