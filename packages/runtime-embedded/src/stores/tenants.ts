import { awsAccountClaimsOf, Conflict, dropPending, keepClaimProgress, markVerified, tenantWithAwsAccountClaims as withClaims, Unauthorized, type ApiKey, type Tenant, type TenantStore } from "@ir/core";
import type { Db } from "../db";

const KEY_CACHE_MAX = 10_000;

export class SqliteTenants implements TenantStore {
  /** Every stage reads the tenant for every alarm; tenants change rarely, through this store or another connection (ChangeWatch). */
  private readonly cache = new Map<string, Tenant>();
  /**
   * Keys by hash, for the lookup every request makes. The cache is dropped on any key write through this
   * store, on an erase, and when another connection commits (`ir keys revoke`: see ChangeWatch); expiry is
   * checked on every hit.
   */
  private readonly keys = new Map<string, ApiKey>();
  /**
   * Tenants erased since start. A request authenticated just before its tenant's erase may reach its write
   * just after it: the write checks here (a Set lookup, no SQL) and refuses, instead of writing the erased
   * tenant's data back. Tenant ids are never reused, so the set only grows by one per erase.
   */
  private readonly erased = new Set<string>();
  private readonly stillThere;
  constructor(private readonly db: Db) {
    this.stillThere = db.prepare("SELECT tenant_id FROM tenants WHERE tenant_id IN (SELECT value FROM json_each(?))").pluck();
  }

  invalidate() { this.cache.clear(); this.keys.clear(); }

  /** Called once the erase has committed (a rolled-back erase must not lock its tenant out). */
  markErased(tenantId: string) { this.erased.add(tenantId); }
  isErased(tenantId: string) { return this.erased.has(tenantId); }

  /**
   * Another connection committed (see ChangeWatch): keys and tenants are read again. Tenants this process
   * had cached, so had requests from, and that are gone were erased there; they join `erased`. Returns them.
   */
  reloadAfterExternalWrite(): string[] {
    const known = [...this.cache.keys()];
    this.invalidate();
    if (!known.length) return [];
    const kept = new Set(this.stillThere.all(JSON.stringify(known)) as string[]);
    const gone = known.filter((t) => !kept.has(t));
    for (const t of gone) this.erased.add(t);
    return gone;
  }

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
    const stored = await this.get(tenant.tenant_id);
    // Gone: erased after the request authenticated. Writing would link its AWS accounts to nobody, as on AWS.
    if (!stored) throw new Unauthorized();
    // Only verification moves a claim on (verifyAwsAccount): a settings write keeps what the store holds.
    this.write(withClaims(tenant, keepClaimProgress(awsAccountClaimsOf(stored.settings), awsAccountClaimsOf(tenant.settings))));
  }
  private write(tenant: Tenant) {
    this.db.prepare("UPDATE tenants SET doc = ? WHERE tenant_id = ?").run(JSON.stringify(tenant), tenant.tenant_id);
    this.cache.delete(tenant.tenant_id);
    this.syncAccounts(tenant);
  }
  /** The tenant whose claim on the account is verified. */
  private ownerOf(accountId: string): string | undefined {
    return (this.db.prepare("SELECT tenant_id FROM tenant_accounts WHERE account_id = ?").get(accountId) as { tenant_id: string } | undefined)?.tenant_id;
  }
  async findByAwsAccount(accountId: string) {
    const owner = this.ownerOf(accountId);
    return owner === undefined ? null : this.get(owner);
  }
  async pendingAwsAccountClaims(accountId: string) {
    return this.db.prepare("SELECT tenant_id, verification_code FROM aws_account_claims WHERE account_id = ? ORDER BY tenant_id").all(accountId) as Array<{ tenant_id: string; verification_code: string }>;
  }
  /** One transaction with the stage that calls it: the account's owner and everyone's claims change together. */
  async verifyAwsAccount(accountId: string, tenantId: string, at: string) {
    const tenant = await this.get(tenantId);
    const claim = tenant && awsAccountClaimsOf(tenant.settings).find((c) => c.account_id === accountId);
    const owner = this.ownerOf(accountId);
    if (!tenant || !claim || (owner !== undefined && owner !== tenantId)) return "refused" as const;
    for (const { tenant_id } of await this.pendingAwsAccountClaims(accountId)) {
      const other = tenant_id === tenantId ? null : await this.get(tenant_id);
      if (other) this.write(withClaims(other, dropPending(awsAccountClaimsOf(other.settings), accountId)));
    }
    if (claim.status === "verified") return "already" as const;
    this.write(withClaims(tenant, markVerified(awsAccountClaimsOf(tenant.settings), accountId, at)));
    return "verified" as const;
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

  /** The account index follows the document: verified claims own their account (one tenant each), pending ones wait beside it. */
  private syncAccounts(tenant: Tenant) {
    this.db.prepare("DELETE FROM tenant_accounts WHERE tenant_id = ?").run(tenant.tenant_id);
    this.db.prepare("DELETE FROM aws_account_claims WHERE tenant_id = ?").run(tenant.tenant_id);
    const own = this.db.prepare("INSERT INTO tenant_accounts (account_id, tenant_id) VALUES (?, ?)");
    const wait = this.db.prepare("INSERT INTO aws_account_claims (account_id, tenant_id, verification_code) VALUES (?, ?, ?)");
    for (const c of awsAccountClaimsOf(tenant.settings)) {
      if (this.ownerOf(c.account_id) !== undefined) throw new Conflict(`AWS account ${c.account_id} is verified by another tenant`);
      if (c.status === "verified") own.run(c.account_id, tenant.tenant_id);
      else if (c.verification_code) wait.run(c.account_id, tenant.tenant_id, c.verification_code);
    }
  }
}
