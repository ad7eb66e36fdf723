import { Conflict, type ApiKey, type Tenant, type TenantStore } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import { isConditionFailed, pk, sk } from "../table";
import type { TenantRegistry } from "./tenant-registry";

/** Writes a last_used_at at most this often per key and container: one write per request would cost more than the request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Tenants and API keys. A key is stored twice: in the tenant's partition (for listing and erase) and under
 * its hash (for authentication). Creation writes the listing first and revocation the hash item first, so a
 * crash between the two never leaves a key that authenticates but cannot be seen or revoked.
 */
export class DynamoTenantStore implements TenantStore {
  private readonly touched = new Map<string, number>();

  constructor(private readonly table: DynamoTable, private readonly registry: TenantRegistry) {}

  async create(tenant: Tenant, key: ApiKey) {
    // Registered first: a tenant the retention worker cannot list would never be purged.
    await this.registry.add(tenant.tenant_id);
    try {
      await this.table.put({ pk: pk.tenant(tenant.tenant_id), sk: sk.tenant, doc: JSON.stringify(tenant) }, { expression: "attribute_not_exists(pk)" });
    } catch (err) {
      if (isConditionFailed(err)) throw new Conflict(`tenant ${tenant.tenant_id} already exists`);
      throw err;
    }
    await this.syncAccounts(tenant, []);
    await this.putKey(key);
  }

  async get(tenantId: string) {
    const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.tenant });
    return item ? (JSON.parse(item.doc as string) as Tenant) : null;
  }

  async update(tenant: Tenant) {
    const before = await this.get(tenant.tenant_id);
    await this.syncAccounts(tenant, before?.settings.aws_account_ids ?? []);
    await this.table.put({ pk: pk.tenant(tenant.tenant_id), sk: sk.tenant, doc: JSON.stringify(tenant) });
  }

  async findByAwsAccount(accountId: string) {
    const item = await this.table.get({ pk: pk.awsAccount(accountId), sk: sk.lookup });
    return item ? this.get(item.tenant_id as string) : null;
  }

  async putKey(key: ApiKey) {
    const doc = JSON.stringify(key);
    await this.table.put({ pk: pk.tenant(key.tenant_id), sk: sk.key(key.key_id), doc });
    await this.table.put({ pk: pk.keyId(key.key_id), sk: sk.lookup, tenant_id: key.tenant_id, hash: key.hash });
    await this.table.put({ pk: pk.apiKey(key.hash), sk: sk.lookup, doc });
  }

  async findKey(hash: string, now: string) {
    const item = await this.table.get({ pk: pk.apiKey(hash), sk: sk.lookup });
    if (!item) return null;
    const key = JSON.parse(item.doc as string) as ApiKey;
    return key.expires_at === null || key.expires_at > now ? key : null;
  }

  async listKeys(tenantId: string) {
    const items = await this.table.queryAll(pk.tenant(tenantId), "key#");
    return items.map((i) => JSON.parse(i.doc as string) as ApiKey).sort((a, b) => a.key_id.localeCompare(b.key_id));
  }

  async expireKey(tenantId: string, keyId: string, at: string) {
    const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.key(keyId) });
    if (!item) return false;
    const key: ApiKey = { ...(JSON.parse(item.doc as string) as ApiKey), expires_at: at };
    const doc = JSON.stringify(key);
    await this.table.put({ pk: pk.apiKey(key.hash), sk: sk.lookup, doc });
    await this.table.put({ pk: pk.tenant(tenantId), sk: sk.key(keyId), doc });
    return true;
  }

  async touchKey(keyId: string, at: string) {
    const last = this.touched.get(keyId) ?? 0;
    if (Date.now() - last < TOUCH_EVERY_MS) return;
    this.touched.set(keyId, Date.now());
    const lookup = await this.table.get({ pk: pk.keyId(keyId), sk: sk.lookup }, false);
    if (!lookup) return;
    const listing = await this.table.get({ pk: pk.tenant(lookup.tenant_id as string), sk: sk.key(keyId) }, false);
    if (!listing) return;
    const key: ApiKey = { ...(JSON.parse(listing.doc as string) as ApiKey), last_used_at: at };
    // Conditional on the doc read: a concurrent revocation must not be overwritten by a usage timestamp.
    try {
      await this.table.put({ pk: pk.tenant(key.tenant_id), sk: sk.key(keyId), doc: JSON.stringify(key) }, { expression: "doc = :old", values: { ":old": listing.doc } });
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  /** An AWS account routes CloudWatch alarms to exactly one tenant: claiming one held by another tenant is a conflict. */
  private async syncAccounts(tenant: Tenant, before: string[]) {
    const now = tenant.settings.aws_account_ids;
    for (const account of now.filter((a) => !before.includes(a))) {
      try {
        await this.table.put(
          { pk: pk.awsAccount(account), sk: sk.lookup, tenant_id: tenant.tenant_id },
          { expression: "attribute_not_exists(pk) OR tenant_id = :t", values: { ":t": tenant.tenant_id } },
        );
      } catch (err) {
        if (isConditionFailed(err)) throw new Conflict(`AWS account ${account} is already linked to another tenant`);
        throw err;
      }
    }
    for (const account of before.filter((a) => !now.includes(a))) {
      await this.table.delete({ pk: pk.awsAccount(account), sk: sk.lookup }, { expression: "tenant_id = :t", values: { ":t": tenant.tenant_id } }).catch((err) => {
        if (!isConditionFailed(err)) throw err;
      });
    }
  }
}
