import { hashKey, safeEqual, Unauthorized, type Tenant } from "@ir/core";
import { authenticate } from "@ir/ingest";
import type { Deps } from "./deps";
import type { ApiRequest } from "./types";

/** `X-API-Key`, or `Authorization: Bearer` — what Alertmanager and most webhook senders can send. */
export const apiKeyOf = (req: ApiRequest): string | undefined => {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
  return req.headers["x-api-key"]?.trim() || bearer;
};

export async function tenantOf(deps: Deps, req: ApiRequest): Promise<Tenant> {
  return (await authenticate(deps.ports, apiKeyOf(req))).tenant;
}

export function requireAdmin(deps: Deps, req: ApiRequest) {
  const key = req.headers["x-admin-key"];
  if (!key || !safeEqual(hashKey(key), deps.adminKeyHash)) throw new Unauthorized("missing or invalid admin key");
}
