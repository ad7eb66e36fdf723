import { isProductionStage, lifecycleRules } from "./plan";

/** Incident and runbook documents (S3) and tenants, keys, usage, locks, alarm outcomes (one DynamoDB table). */
export function createStorage() {
  const production = isProductionStage($app.stage);

  const bucket = new sst.aws.Bucket("Documents", {
    // SST blocks public access by default; `enforceHttps` (default true) adds the TLS-only bucket policy.
    transform: {
      bucket: (args) => {
        // Never empty a production bucket on delete, even if someone flips `removal`.
        args.forceDestroy = !production;
      },
    },
  });

  new aws.s3.BucketServerSideEncryptionConfiguration("DocumentsEncryption", {
    bucket: bucket.name,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
  });

  // SST's own `lifecycle` argument filters by prefix only; retention is per tenant plan, carried by an object tag.
  new aws.s3.BucketLifecycleConfiguration("DocumentsRetention", {
    bucket: bucket.name,
    rules: lifecycleRules().map((rule) => ({
      id: rule.id,
      status: "Enabled",
      filter: rule.tag ? { tag: rule.tag } : {},
      expiration: rule.expirationDays === undefined ? undefined : { days: rule.expirationDays },
      abortIncompleteMultipartUpload:
        rule.abortIncompleteMultipartUploadDays === undefined ? undefined : { daysAfterInitiation: rule.abortIncompleteMultipartUploadDays },
    })),
  });

  // On-demand and point-in-time recovery are SST's defaults for Dynamo; stated here because the design relies on them.
  // Encryption at rest is DynamoDB's default (AWS owned key, no KMS charges).
  const table = new sst.aws.Dynamo("Table", {
    fields: { pk: "string", sk: "string" },
    primaryIndex: { hashKey: "pk", rangeKey: "sk" },
    ttl: "expires_at",
    deletionProtection: production,
    transform: {
      table: (args) => {
        args.billingMode = "PAY_PER_REQUEST";
        args.pointInTimeRecovery = { enabled: true };
      },
    },
  });

  return { bucket, table };
}

export type Storage = ReturnType<typeof createStorage>;
