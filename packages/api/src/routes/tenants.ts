import { generateApiKey, hashKey, keyPrefix, MAX_INGEST_PER_SECOND, Plan, type ApiKey, type Ports, type Tenant } from "@ir/core";
import { randomBytes } from "node:crypto";
import * as z from "zod";
import { requireAdmin } from "../auth";
import { audit } from "../audit";
import type { Deps } from "../deps";
import { parseBody } from "../parse";
import { json, type Router } from "../router";

export const CreateTenant = z.object({
  name: z.string().trim().min(1).max(200),
  plan: Plan.optional(),
  global_runbooks: z.boolean().optional(),
  /** Custom retention is an enterprise feature; the other plans' retention is part of the plan. */
  retention_days: z.number().int().min(1).max(3650).optional(),
  /** So is a custom ingest rate: what was agreed with the tenant, above or below the plan's 10,000 a second. */
  ingest_per_second: z.number().int().min(1).max(MAX_INGEST_PER_SECOND).optional(),
})
  .refine((b) => b.retention_days === undefined || b.plan === "enterprise", { message: "only the enterprise plan has custom retention", path: ["retention_days"] })
  .refine((b) => b.ingest_per_second === undefined || b.plan === "enterprise", { message: "only the enterprise plan has a custom ingest rate", path: ["ingest_per_second"] });

export function newTenant(ports: Ports, body: z.infer<typeof CreateTenant>): { tenant: Tenant; key: ApiKey; apiKey: string } {
  const now = ports.clock.now().toISOString();
  const tenant: Tenant = {
    tenant_id: ports.newId("t"), name: body.name, plan: body.plan ?? "free", created_at: now,
    settings: {
      global_runbooks: body.global_runbooks ?? true, notifications: { channels: [] }, webhook_secret: randomBytes(32).toString("base64url"),
      auto_resolve: true, default_severity: "MEDIUM", cloudwatch_service_from: ["tag", "dimension", "alarm_name"], aws_account_ids: [],
      ...(body.retention_days ? { retention_days: body.retention_days } : {}),
      ...(body.ingest_per_second ? { ingest_per_second: body.ingest_per_second } : {}),
    },
  };
  const apiKey = generateApiKey();
  const key: ApiKey = { key_id: ports.newId("key"), tenant_id: tenant.tenant_id, label: "default", prefix: keyPrefix(apiKey), hash: hashKey(apiKey), created_at: now, last_used_at: null, expires_at: null };
  return { tenant, key, apiKey };
}

export const tenantRoutes = (r: Router, deps: Deps) =>
  r.on("POST", "/api/v1/admin/tenants", async ({ req }) => {
    requireAdmin(deps, req);
    const body = parseBody(req, CreateTenant);
    const { tenant, key, apiKey } = newTenant(deps.ports, body);
    await deps.exclusive(async (ports) => {
      await ports.tenants.create(tenant, key);
      await audit(ports, tenant.tenant_id, "admin", "tenant.created", tenant.tenant_id, { plan: tenant.plan });
    });
    return json(201, { tenant_id: tenant.tenant_id, api_key: apiKey, plan: tenant.plan });
  });
