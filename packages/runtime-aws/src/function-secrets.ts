import type { StageName } from "@ir/core";

/**
 * The secrets the AWS runtime reads, by their SST name: the `sst.Secret` component (stacks/secrets.ts) and the key
 * of SST's `Resource` in a function it is linked to. Each has an environment variable that stands in for it where
 * nothing is linked: the suites on the emulators and scripts run outside SST. Pure data: the stacks import it
 * without the runtime.
 */
export const SECRET_ENV = {
  PineconeApiKey: "PINECONE_API_KEY",
  /** The index host shown in the Pinecone console, e.g. `https://incidents-abc123.svc.aped-1234.pinecone.io`. */
  PineconeIndexHost: "IR_PINECONE_INDEX_HOST",
  OpenaiApiKey: "OPENAI_API_KEY",
  /** Sent by operators as `X-Admin-Key`. */
  AdminKey: "IR_ADMIN_KEY",
} as const;

export type SecretName = keyof typeof SECRET_ENV;
export const SECRET_NAMES = Object.keys(SECRET_ENV) as SecretName[];

/** A deployed function: one per stage, the HTTP API and the retention worker. */
export type FunctionName = StageName | "http" | "retention";

/** Set by the stacks on every function (non-secret): which function this container runs, so it requires its secrets. */
export const FUNCTION_ENV = "IR_FUNCTION";

const PINECONE = ["PineconeApiKey", "PineconeIndexHost"] as const;

/**
 * Which function reads which secret; the stacks link exactly these, and `loadConfig` requires exactly these.
 * test/function-secrets.test.ts runs each handler with only its own secrets through the pipeline.
 */
export const FUNCTION_SECRETS: Record<FunctionName, readonly SecretName[]> = {
  // Authenticates by key hashes in DynamoDB and normalizes: no vectors, no model.
  ingest: [],
  // Embeds the masked text (cached by text in DynamoDB).
  embed: ["OpenaiApiKey"],
  // Queries and upserts incident vectors; embeds on a fingerprint miss and embeds the runbook catalogue.
  match: [...PINECONE, "OpenaiApiKey"],
  // Similar past resolutions (Pinecone), the runbook catalogue and the recommendation text (OpenAI).
  enrich: [...PINECONE, "OpenaiApiKey"],
  // Slack, PagerDuty and webhooks are per-tenant settings, not deployment secrets.
  notify: [],
  // Admin routes; resolving updates the incident's vector, deleting a runbook or erasing a tenant deletes vectors.
  http: [...PINECONE, "AdminKey"],
  // Deletes the vectors of purged incidents.
  retention: PINECONE,
};
