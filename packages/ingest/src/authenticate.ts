import { hashKey, Unauthorized, type ApiKey, type Ports, type Tenant } from "@ir/core";

/** last_used_at is for humans auditing keys: minute precision is plenty and spares a write per request. */
const TOUCH_EVERY_MS = 60_000;
const touched = new Map<string, number>();

/** A key is looked up by its SHA-256, so the secret is never compared byte by byte (no timing oracle). */
export async function authenticate(ports: Ports, apiKey: string | undefined): Promise<{ tenant: Tenant; key: ApiKey }> {
  if (!apiKey || apiKey.length > 200) throw new Unauthorized();
  const now = ports.clock.now();
  const key = await ports.tenants.findKey(hashKey(apiKey), now.toISOString());
  const tenant = key ? await ports.tenants.get(key.tenant_id) : null;
  if (!key || !tenant) throw new Unauthorized();
  if (now.getTime() - (touched.get(key.key_id) ?? 0) > TOUCH_EVERY_MS) {
    touched.set(key.key_id, now.getTime());
    await ports.tenants.touchKey(key.key_id, now.toISOString());
  }
  return { tenant, key };
}
