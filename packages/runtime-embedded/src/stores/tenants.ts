import type { ApiKey, Tenant, TenantStore } from "@ir/core";
import type { Db } from "../db";

const KEY_CACHE_MAX = 10_000;

export class SqliteTenants implements TenantStore {
  /** Every stage reads the tenant for every alarm; tenants change rarely and only through this store. */
  private readonly cache = new Map<string, Tenant>();
  /**
   * Keys by hash, for the lookup every request makes. Keys change only through this store (or an erase,
   * which invalidates), so the cache is dropped on any key write; expiry is checked on every hit.
   */
  private readonly keys = new Map<string, ApiKey>();
  constructor(private readonly db: Db) {}

  invalidate() { this.cache.clear(); this.keys.clear(); }

  async create(tenant: Tenant, key: ApiKey) {
    this.db.prepare("INSERT INTO tenants (tenant_id, doc) VALUES (?, ?)").run(tenant.tenant_id, JSON.stringify(tenant));
    this.cache.delete(tenant.tenant_id);
    this.syncAccounts(tenant);
    await this.putKey(key);
  }
  async get(tenantId: string) {
    const hit = this.cache.get(tenantId);
    if (hit) return hit;
    const row = this.db.prepare("SELECT doc FROM tenants WHERE tenant_id = ?").get(tenantId) as { doc: string } | undefined;
    if (!row) return null;
    const tenant = Object.freeze(JSON.parse(row.doc) as Tenant);
    this.cache.set(tenantId, tenant);
    return tenant;
  }
  async update(tenant: Tenant) {
    this.db.prepare("UPDATE tenants SET doc = ? WHERE tenant_id = ?").run(JSON.stringify(tenant), tenant.tenant_id);
    this.cache.delete(tenant.tenant_id);
    this.syncAccounts(tenant);
  }
  async findByAwsAccount(accountId: string) {
    const row = this.db.prepare("SELECT tenant_id FROM tenant_accounts WHERE account_id = ?").get(accountId) as { tenant_id: string } | undefined;
    return row ? this.get(row.tenant_id) : null;
  }
  async putKey(key: ApiKey) {
    this.keys.clear();
    this.db.prepare("INSERT OR REPLACE INTO api_keys (key_id, tenant_id, hash, expires_at, doc) VALUES (?, ?, ?, ?, ?)")
      .run(key.key_id, key.tenant_id, key.hash, key.expires_at, JSON.stringify(key));
  }
  async findKey(hash: string, now: string) {
    let key = this.keys.get(hash);
    if (!key) {
      const row = this.db.prepare("SELECT doc FROM api_keys WHERE hash = ?").get(hash) as { doc: string } | undefined;
      if (!row) return null;
      key = Object.freeze(JSON.parse(row.doc) as ApiKey);
      // Unknown keys are never cached (a scan of guesses must not grow memory); known ones are few.
      if (this.keys.size >= KEY_CACHE_MAX) this.keys.clear();
      this.keys.set(hash, key);
    }
    return key.expires_at === null || key.expires_at === undefined || key.expires_at > now ? key : null;
  }
  async listKeys(tenantId: string) {
    return (this.db.prepare("SELECT doc FROM api_keys WHERE tenant_id = ? ORDER BY key_id").all(tenantId) as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as ApiKey);
  }
  async expireKey(tenantId: string, keyId: string, at: string) {
    const row = this.db.prepare("SELECT doc FROM api_keys WHERE tenant_id = ? AND key_id = ?").get(tenantId, keyId) as { doc: string } | undefined;
    if (!row) return false;
    const key = { ...(JSON.parse(row.doc) as ApiKey), expires_at: at };
    await this.putKey(key);
    return true;
  }
  async touchKey(keyId: string, at: string) {
    this.keys.clear();
    this.db.prepare("UPDATE api_keys SET doc = json_set(doc, '$.last_used_at', ?) WHERE key_id = ?").run(at, keyId);
  }

  private syncAccounts(tenant: Tenant) {
    this.db.prepare("DELETE FROM tenant_accounts WHERE tenant_id = ?").run(tenant.tenant_id);
    const ins = this.db.prepare("INSERT OR REPLACE INTO tenant_accounts (account_id, tenant_id) VALUES (?, ?)");
    for (const a of tenant.settings.aws_account_ids) ins.run(a, tenant.tenant_id);
  }
}
