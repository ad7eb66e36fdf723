import { SECRET_NAMES, type SecretName } from "../packages/runtime-aws/src/function-secrets";

/**
 * Per-stage settings kept by SST (`npx sst secret set <Name> <value> --stage <stage>`). A secret without a
 * placeholder must be set before the stage deploys; SST stops the deploy naming the missing one.
 */
export function createSecrets() {
  return {
    /**
     * What the functions read, named as the runtime reads them (`Resource.<Name>`, SECRET_ENV in function-secrets.ts).
     * Linked only to the functions that read them (FUNCTION_SECRETS); never put in an environment.
     */
    runtime: Object.fromEntries(SECRET_NAMES.map((name) => [name, new sst.Secret(name)])) as Record<SecretName, sst.Secret>,
    /** Registered customer accounts (comma separated 12-digit ids) that may forward alarms and publish to the ingest queue. Deploy time only. */
    tenantAwsAccounts: new sst.Secret("TenantAwsAccounts", ""),
  };
}

export type Secrets = ReturnType<typeof createSecrets>;
