import { Conflict, generateApiKey, hashKey, keyPrefix, NotFound, type ApiKey, type Ports } from "@ir/core";
import { audit } from "./audit";

/**
 * A tenant's API keys from issue to revocation, shared by the HTTP routes and the `ir keys` CLI so both
 * store the same records and leave the same audit trail. Only the SHA-256 of a key is stored; the key
 * itself is returned once, by issue and rotate.
 */

/** What listings show: enough to tell keys apart, nothing that authenticates. */
export interface KeyView { key_id: string; label: string; prefix: string; created_at: string; last_used_at: string | null; expires_at: string | null }
export const keyView = (k: ApiKey): KeyView => ({ key_id: k.key_id, label: k.label, prefix: k.prefix, created_at: k.created_at, last_used_at: k.last_used_at, expires_at: k.expires_at });

/** Overlap a rotation gives the old key when the caller does not say: a day, time for every deploy to roll. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;

const isLive = (k: ApiKey, now: string) => !k.expires_at || k.expires_at > now;

export async function issueKey(ports: Ports, tenantId: string, label: string, actor: string) {
  const apiKey = generateApiKey();
  const key: ApiKey = {
    key_id: ports.newId("key"), tenant_id: tenantId, label, prefix: keyPrefix(apiKey), hash: hashKey(apiKey),
    created_at: ports.clock.now().toISOString(), last_used_at: null, expires_at: null,
  };
  await ports.tenants.putKey(key);
  await audit(ports, tenantId, actor, "key.created", key.key_id, { label });
  return { key, apiKey };
}

/** Keys that still authenticate, including old keys inside a rotation's overlap (their expires_at says until when). */
export async function liveKeys(ports: Ports, tenantId: string): Promise<KeyView[]> {
  const now = ports.clock.now().toISOString();
  return (await ports.tenants.listKeys(tenantId)).filter((k) => isLive(k, now)).map(keyView);
}

/** The live key `keyId` and the tenant's other live keys, from one read of its keys. */
async function liveKey(ports: Ports, tenantId: string, keyId: string, now: string) {
  const live = (await ports.tenants.listKeys(tenantId)).filter((k) => isLive(k, now));
  const key = live.find((k) => k.key_id === keyId);
  if (!key) throw new NotFound("key");
  return { key, others: live.filter((k) => k !== key) };
}

/** Revoked now, even one inside a rotation's overlap; never the tenant's last lasting key. */
export async function revokeKey(ports: Ports, tenantId: string, keyId: string, actor: string) {
  const now = ports.clock.now().toISOString();
  const { others } = await liveKey(ports, tenantId, keyId, now);
  // Without a key a tenant cannot even ask for its own erasure, and on AWS nothing issues it another.
  if (!others.some((k) => !k.expires_at)) throw new Conflict("this is the tenant's last key that does not expire: rotate it (overlap_seconds 0 ends it at once) or create another first");
  await ports.tenants.expireKey(tenantId, keyId, now);
  await audit(ports, tenantId, actor, "key.revoked", keyId);
}

/** A new key with the old one's label now; the old one keeps working for `overlapSeconds` so deploys can roll. */
export async function rotateKey(ports: Ports, tenantId: string, keyId: string, overlapSeconds: number, actor: string) {
  const now = ports.clock.now();
  const { key: old } = await liveKey(ports, tenantId, keyId, now.toISOString());
  const asked = new Date(now.getTime() + overlapSeconds * 1000).toISOString();
  // Rotated again inside its overlap: the earlier expiry stands (a leaked key's short overlap must not become a day).
  const expires = old.expires_at && old.expires_at < asked ? old.expires_at : asked;
  await ports.tenants.expireKey(tenantId, old.key_id, expires);
  const fresh = await issueKey(ports, tenantId, old.label, actor);
  await audit(ports, tenantId, actor, "key.rotated", old.key_id, { replaced_by: fresh.key.key_id, old_expires_at: expires });
  return { key_id: fresh.key.key_id, api_key: fresh.apiKey, old_key_id: old.key_id, old_key_expires_at: expires };
}
