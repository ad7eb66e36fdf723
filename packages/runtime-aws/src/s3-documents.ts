import { tenantNamespace } from "@ir/core";
import type { S3Lazy } from "./clients";

/** Where a tenant's documents live in the bucket (DESIGN §5): the prefix is what a GDPR erase deletes. */
export const s3Keys = {
  tenantPrefix: (tenantId: string) => `${tenantNamespace(tenantId)}/`,
  incident: (tenantId: string, incidentId: string) => `${tenantNamespace(tenantId)}/incidents/${incidentId}.json`,
  runbookPrefix: (tenantId: string) => `${tenantNamespace(tenantId)}/runbooks/`,
  runbook: (tenantId: string, runbookId: string) => `${tenantNamespace(tenantId)}/runbooks/${runbookId}.json`,
};

const DELETE_BATCH = 1000;

const isMissing = (err: unknown) => err instanceof Error && (err.name === "NoSuchKey" || err.name === "NotFound");

/** JSON documents in one bucket, always written with server-side encryption. The S3 SDK loads on first use. */
export class S3Documents {
  constructor(readonly client: S3Lazy, readonly bucket: string) {}

  async get<T>(key: string): Promise<{ value: T; metadata: Record<string, string> } | null> {
    try {
      const { sdk, client } = await this.client.use();
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = await out.Body!.transformToString("utf8");
      return { value: JSON.parse(text) as T, metadata: out.Metadata ?? {} };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /** `tagging` (URL query form, e.g. `retention=7d`) is what the bucket's lifecycle rules expire by; untagged objects stay. */
  async put(key: string, value: unknown, metadata?: Record<string, string>, tagging?: string) {
    const { sdk, client } = await this.client.use();
    await client.send(new sdk.PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: JSON.stringify(value),
      ContentType: "application/json",
      ServerSideEncryption: "AES256",
      Metadata: metadata,
      Tagging: tagging,
    }));
  }

  async delete(key: string) {
    const { sdk, client } = await this.client.use();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** One page of keys under a prefix, in key order. */
  async listPage(prefix: string, limit: number, after?: string) {
    const { sdk, client } = await this.client.use();
    const out = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: limit, StartAfter: after }));
    return { keys: (out.Contents ?? []).map((o) => o.Key!), more: out.IsTruncated === true };
  }

  async countUnder(prefix: string): Promise<number> {
    let n = 0;
    let token: string | undefined;
    const { sdk, client } = await this.client.use();
    do {
      const out = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      n += out.KeyCount ?? out.Contents?.length ?? 0;
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return n;
  }

  /** Deletes the given keys, a thousand per request (missing keys are no error). */
  async deleteKeys(keys: string[]) {
    const { sdk, client } = await this.client.use();
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const out = await client.send(new sdk.DeleteObjectsCommand({
        Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + DELETE_BATCH).map((Key) => ({ Key })), Quiet: true },
      }));
      // DeleteObjects answers 200 with per-key errors; a key left behind would outlive its retention unseen.
      if (out.Errors?.length) throw new Error(`S3 DeleteObjects: ${out.Errors.length} failed, first ${out.Errors[0].Key}: ${out.Errors[0].Code} ${out.Errors[0].Message}`);
    }
  }

  /** Deletes every object under a prefix, a thousand keys per request. */
  async deletePrefix(prefix: string) {
    let token: string | undefined;
    const { sdk, client } = await this.client.use();
    do {
      const out = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      // Through deleteKeys for its per-key error check: a tenant erase must not leave an object behind unseen.
      const keys = (out.Contents ?? []).map((o) => o.Key!);
      if (keys.length) await this.deleteKeys(keys);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }
}
