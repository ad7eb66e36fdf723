import { describe, expect, it } from "vitest";
import type { S3Lazy } from "../src/clients";
import { S3Documents } from "../src/s3-documents";

/** S3 answers DeleteObjects with 200 and per-key errors (Quiet mode lists only those): neither delete may drop them. */
function failingS3() {
  class ListObjectsV2Command { constructor(readonly input: unknown) {} }
  class DeleteObjectsCommand { constructor(readonly input: unknown) {} }
  const client = {
    send: async (cmd: object) => cmd instanceof ListObjectsV2Command
      ? { Contents: [{ Key: "tenant_t/incidents/a.json" }, { Key: "tenant_t/incidents/b.json" }], IsTruncated: false }
      : { Errors: [{ Key: "tenant_t/incidents/b.json", Code: "AccessDenied", Message: "Access Denied" }] },
  };
  return { use: async () => ({ sdk: { ListObjectsV2Command, DeleteObjectsCommand }, client }) } as unknown as S3Lazy;
}

describe("S3 documents", () => {
  it("fails a prefix delete that S3 answered with per-key errors", async () => {
    await expect(new S3Documents(failingS3(), "bucket").deletePrefix("tenant_t/")).rejects.toThrow(/1 failed, first tenant_t\/incidents\/b.json: AccessDenied/);
  });

  it("fails a key delete the same way", async () => {
    await expect(new S3Documents(failingS3(), "bucket").deleteKeys(["tenant_t/incidents/b.json"])).rejects.toThrow(/AccessDenied/);
  });
});
