/**
 * Per-stage settings kept by SST (`npx sst secret set <Name> <value> --stage <stage>`). A secret without a
 * placeholder must be set before the stage deploys; SST stops the deploy naming the missing one.
 */
export function createSecrets() {
  return {
    pineconeApiKey: new sst.Secret("PineconeApiKey"),
    /** The index host shown in the Pinecone console, e.g. `https://incidents-abc123.svc.aped-1234.pinecone.io`. */
    pineconeIndexHost: new sst.Secret("PineconeIndexHost"),
    openaiApiKey: new sst.Secret("OpenaiApiKey"),
    /** Sent by operators as `X-Admin-Key`. */
    adminKey: new sst.Secret("AdminKey"),
    /** Registered customer accounts (comma separated 12-digit ids) that may forward alarms and publish to the ingest queue. */
    tenantAwsAccounts: new sst.Secret("TenantAwsAccounts", ""),
  };
}

export type Secrets = ReturnType<typeof createSecrets>;
