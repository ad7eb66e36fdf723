import { awsAccountClaimsOf, Conflict, Unauthorized, dropPending, keepClaimProgress, markVerified, tenantWithAwsAccountClaims as withClaims, type ApiKey, type AwsAccountClaim, type Tenant, type TenantStore } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import { isConditionFailed, pk, releaseAwsAccountLookup, sk } from "../table";
import type { TenantRegistry } from "./tenant-registry";

/** Writes a last_used_at at most this often per key and container: one write per request would cost more than the request. */
const TOUCH_EVERY_MS = 60_000;
/** A tenant document written conditionally on what was read: this many tries before the caller hears of the contention. */
const REWRITE_ATTEMPTS = 5;

/**
 * Tenants and API keys. A key is stored twice: in the tenant's partition (for listing and erase) and under
 * its hash (for authentication). Creation writes the listing first and revocation the hash item first, so a
 * crash between the two never leaves a key that authenticates but cannot be seen or revoked.
 *
 * AWS account claims live in the tenant document and are indexed under `awsacct#<account>`: `lookup` names the
 * tenant whose claim is verified (forwarded alarms go there), `claim#<tenant>` items the pending claims with their
 * codes. Document writes are conditional on the document read, so a settings write and a verification racing
 * each other cannot undo one another.
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
    // Only verification moves a claim on (verifyAwsAccount): a settings write keeps what the store holds.
    // Gone: erased after the request authenticated. Writing would bring the tenant (and its accounts) back.
    await this.rewrite(tenant.tenant_id, (stored) => {
      if (!stored) throw new Unauthorized();
      return withClaims(tenant, keepClaimProgress(awsAccountClaimsOf(stored.settings), awsAccountClaimsOf(tenant.settings)));
    });
  }

  async findByAwsAccount(accountId: string) {
    const item = await this.table.get({ pk: pk.awsAccount(accountId), sk: sk.lookup });
    return item ? this.get(item.tenant_id as string) : null;
  }

  async pendingAwsAccountClaims(accountId: string) {
    const items = await this.table.queryAll(pk.awsAccount(accountId), sk.awsAccountClaimPrefix);
    return items.map((i) => ({ tenant_id: i.tenant_id as string, verification_code: i.verification_code as string }));
  }

  /**
   * The conditional write of `lookup` decides who owns the account: the first verification wins. The documents
   * follow; every step is idempotent, so a redelivered verification event finishes what a crash interrupted.
   */
  async verifyAwsAccount(accountId: string, tenantId: string, at: string) {
    const claimOf = (t: Tenant | null) => t && awsAccountClaimsOf(t.settings).find((c) => c.account_id === accountId);
    if (!claimOf(await this.get(tenantId))) return "refused" as const;
    const lookup = { pk: pk.awsAccount(accountId), sk: sk.lookup };
    try {
      await this.table.put({ ...lookup, tenant_id: tenantId }, { expression: "attribute_not_exists(pk) OR tenant_id = :t", values: { ":t": tenantId } });
    } catch (err) {
      if (isConditionFailed(err)) return "refused" as const;
      throw err;
    }
    let result = "already" as "verified" | "already" | "refused";
    await this.rewrite(tenantId, (t) => {
      const claim = claimOf(t);
      if (!t || !claim) { result = "refused"; return null; }
      if (claim.status === "verified") return null;
      result = "verified";
      return withClaims(t, markVerified(awsAccountClaimsOf(t.settings), accountId, at));
    });
    if (result === "refused") {
      // Withdrawn while this ran: the account is nobody's again.
      await releaseAwsAccountLookup(this.table, accountId, tenantId);
      return result;
    }
    for (const item of await this.table.queryAll(pk.awsAccount(accountId), sk.awsAccountClaimPrefix)) {
      const other = item.tenant_id as string;
      if (other !== tenantId) {
        await this.rewrite(other, (t) => (t && claimOf(t)?.status === "pending" ? withClaims(t, dropPending(awsAccountClaimsOf(t.settings), accountId)) : null));
      }
      await this.table.delete({ pk: pk.awsAccount(accountId), sk: sk.awsAccountClaim(other) });
    }
    return result;
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

  /**
   * Read-modify-write of a tenant document, conditional on the document read, with the account index brought in
   * step first. `change` answers the document to write, or null to leave it as it is.
   */
  private async rewrite(tenantId: string, change: (stored: Tenant | null) => Tenant | null): Promise<void> {
    /** The claims an attempt wrote to the account index; undone if the tenant turns out to be gone (erased meanwhile). */
    let synced: Tenant | null = null;
    for (let attempt = 1; ; attempt++) {
      const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.tenant });
      const stored = item ? (JSON.parse(item.doc as string) as Tenant) : null;
      if (!stored && synced) await this.syncAccounts(withClaims(synced, []), awsAccountClaimsOf(synced.settings));
      const next = change(stored);
      if (!next) return;
      await this.syncAccounts(next, stored ? awsAccountClaimsOf(stored.settings) : []);
      synced = next;
      try {
        await this.table.put({ pk: pk.tenant(tenantId), sk: sk.tenant, doc: JSON.stringify(next) },
          item ? { expression: "doc = :old", values: { ":old": item.doc } } : { expression: "attribute_not_exists(pk)" });
        return;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        if (attempt >= REWRITE_ATTEMPTS) throw new Conflict(`tenant ${tenantId} is being changed concurrently; try again`);
      }
    }
  }

  /**
   * The account index follows the claims: a verified claim owns `lookup` (one tenant per account: claiming one
   * another tenant verified is a conflict), a pending one has its `claim#<tenant>` item. Every write is idempotent.
   */
  private async syncAccounts(tenant: Tenant, before: AwsAccountClaim[]) {
    const id = tenant.tenant_id;
    const now = awsAccountClaimsOf(tenant.settings);
    const was = new Map(before.map((c) => [c.account_id, c]));
    const unchanged = (c: AwsAccountClaim) => was.get(c.account_id)?.status === c.status && was.get(c.account_id)?.verification_code === c.verification_code;
    for (const c of now.filter((c) => c.status === "pending" && !unchanged(c))) {
      const owner = await this.table.get({ pk: pk.awsAccount(c.account_id), sk: sk.lookup });
      if (owner && owner.tenant_id !== id) throw new Conflict(`AWS account ${c.account_id} is verified by another tenant`);
    }
    for (const c of now.filter((c) => !unchanged(c))) {
      const claimItem = { pk: pk.awsAccount(c.account_id), sk: sk.awsAccountClaim(id) };
      if (c.status === "verified") {
        try {
          await this.table.put({ pk: pk.awsAccount(c.account_id), sk: sk.lookup, tenant_id: id }, { expression: "attribute_not_exists(pk) OR tenant_id = :t", values: { ":t": id } });
        } catch (err) {
          if (isConditionFailed(err)) throw new Conflict(`AWS account ${c.account_id} is verified by another tenant`);
          throw err;
        }
        await this.table.delete(claimItem);
      } else if (c.verification_code) {
        await this.table.put({ ...claimItem, tenant_id: id, verification_code: c.verification_code });
      }
    }
    const kept = new Map(now.map((c) => [c.account_id, c]));
    for (const c of before) {
      const cur = kept.get(c.account_id);
      if (c.status === "verified" && cur?.status !== "verified") await releaseAwsAccountLookup(this.table, c.account_id, id);
      if (c.status === "pending" && (!cur || cur.verification_code !== c.verification_code)) {
        await this.table.delete({ pk: pk.awsAccount(c.account_id), sk: sk.awsAccountClaim(id) });
      }
    }
  }
}
