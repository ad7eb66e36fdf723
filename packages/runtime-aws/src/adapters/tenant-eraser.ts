import { awsAccountClaimsOf, tenantNamespace, type Tenant, type TenantEraser, type VectorIndex } from "@ir/core";
import type { DynamoTable, Key } from "../dynamo-table";
import { s3Keys, type S3Documents } from "../s3-documents";
import { pk, releaseAwsAccountLookup, sk } from "../table";
import type { SqsDeadLetters } from "./dead-letters";
import type { TenantRegistry } from "./tenant-registry";

/**
 * GDPR erase on AWS: the Pinecone namespace, the S3 prefix, the dead letters that mention the tenant, the
 * lookups kept outside the tenant's partition (key hashes, key ids, AWS account claims), then the partition itself.
 * The tenant record and key listing go last, and the registry entry after them, so a crash part-way leaves an erase the caller can run again
 * with the same credentials; every step is idempotent.
 */
export class AwsTenantEraser implements TenantEraser {
  constructor(
    private readonly table: DynamoTable,
    private readonly docs: S3Documents,
    private readonly vectors: VectorIndex,
    private readonly deadLetters: SqsDeadLetters,
    private readonly registry: TenantRegistry,
  ) {}

  async erase(tenantId: string) {
    await this.vectors.deleteNamespace(tenantNamespace(tenantId));
    await this.docs.deletePrefix(s3Keys.tenantPrefix(tenantId));
    await this.deadLetters.erase(tenantId);

    const partition = await this.table.queryAll(pk.tenant(tenantId));
    const isIdentity = (s: string) => s === sk.tenant || s.startsWith("key#");
    await this.table.batchDelete(partition.filter((i) => !isIdentity(i.sk as string)) as unknown as Key[]);

    const tenantItem = partition.find((i) => i.sk === sk.tenant);
    const settings = tenantItem ? (JSON.parse(tenantItem.doc as string) as Partial<Tenant>).settings : undefined;
    const accounts = awsAccountClaimsOf({ aws_account_ids: settings?.aws_account_ids ?? [], aws_account_claims: settings?.aws_account_claims }).map((c) => c.account_id);
    const keys = partition.filter((i) => (i.sk as string).startsWith("key#")).map((i) => JSON.parse(i.doc as string) as { key_id: string; hash: string });
    await this.table.batchDelete([
      ...keys.flatMap((k) => [{ pk: pk.apiKey(k.hash), sk: sk.lookup }, { pk: pk.keyId(k.key_id), sk: sk.lookup }]),
      ...accounts.map((a) => ({ pk: pk.awsAccount(a), sk: sk.awsAccountClaim(tenantId) })),
    ]);
    // An account's owner only if it is this tenant: a claim still pending must not free another tenant's account.
    for (const a of accounts) await releaseAwsAccountLookup(this.table, a, tenantId);
    await this.table.batchDelete(partition.filter((i) => isIdentity(i.sk as string)) as unknown as Key[]);
    await this.registry.remove(tenantId);
  }
}
