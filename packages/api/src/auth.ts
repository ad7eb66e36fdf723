import { hashKey, safeEqual, Unauthorized, type Tenant } from "@ir/core";
import { authenticate } from "@ir/ingest";
import type { Deps } from "./deps";
import type { ApiRequest } from "./types";

/**
 * SNS sends the credentials of an `https://user:password@host/...` subscription URL only after a 401 that
 * carries this challenge.
 */
const BASIC_CHALLENGE = { "www-authenticate": 'Basic realm="incident-responder"' };

/** RFC 7617: the user id ends at the first colon; the password may hold more. */
const basicKeyOf = (authorization: string): string | undefined => {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization)?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return decoded.slice(colon + 1) || decoded.slice(0, colon) || undefined;
};

/**
 * `X-API-Key`; `Authorization: Bearer` (what Alertmanager and most webhook senders can send); or
 * `Authorization: Basic` with the key as password (or as user, password empty): all an SNS HTTPS subscription can send.
 */
export const apiKeyOf = (req: ApiRequest): string | undefined => {
  const authorization = req.headers.authorization ?? "";
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  return req.headers["x-api-key"]?.trim() || bearer || basicKeyOf(authorization);
};

export async function tenantOf(deps: Deps, req: ApiRequest): Promise<Tenant> {
  try {
    return (await authenticate(deps.ports, apiKeyOf(req))).tenant;
  } catch (err) {
    // Not for X-API-Key callers: the dashboard sends it, and a challenge would make the browser pop its own login dialog.
    if (err instanceof Unauthorized && !req.headers["x-api-key"]) throw new Unauthorized(err.message, BASIC_CHALLENGE);
    throw err;
  }
}

export function requireAdmin(deps: Deps, req: ApiRequest) {
  const key = req.headers["x-admin-key"];
  if (!key || !safeEqual(hashKey(key), deps.adminKeyHash)) throw new Unauthorized("missing or invalid admin key");
}
