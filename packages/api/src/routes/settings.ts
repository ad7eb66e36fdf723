import { Conflict, Severity, TenantSettings } from "@ir/core";
import { invalidateCatalog } from "@ir/match";
import * as z from "zod";
import { tenantOf } from "../auth";
import { audit } from "../audit";
import type { Deps } from "../deps";
import { parseBody } from "../parse";
import { json, type Router } from "../router";

/** What a tenant may change about how its alarms are read; secrets and notification routing have their own routes. */
const SettingsPatch = z.object({
  auto_resolve: z.boolean().optional(),
  default_severity: Severity.optional(),
  global_runbooks: z.boolean().optional(),
  cloudwatch_service_from: TenantSettings.shape.cloudwatch_service_from.min(1).optional(),
  aws_account_ids: z.array(z.string().regex(/^\d{12}$/, "expected a 12-digit AWS account id")).max(100).optional(),
}).strict();

const view = (s: TenantSettings) => ({
  auto_resolve: s.auto_resolve, default_severity: s.default_severity, global_runbooks: s.global_runbooks,
  cloudwatch_service_from: s.cloudwatch_service_from, aws_account_ids: s.aws_account_ids,
});

export const settingsRoutes = (r: Router, deps: Deps) => {
  const { ports } = deps;
  r.on("GET", "/api/v1/settings", async ({ req }) => json(200, view((await tenantOf(deps, req)).settings)));

  r.on("PATCH", "/api/v1/settings", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const patch = parseBody(req, SettingsPatch);
    const next = await deps.exclusive(async (ports) => {
      // An account's forwarded CloudWatch alarms go to the tenant that registered it: first come, and only one.
      for (const account of patch.aws_account_ids ?? []) {
        const holder = await ports.tenants.findByAwsAccount(account);
        if (holder && holder.tenant_id !== tenant.tenant_id) throw new Conflict(`aws_account_ids: ${account} is registered by another tenant`);
      }
      const cur = (await ports.tenants.get(tenant.tenant_id)) ?? tenant;
      const updated = { ...cur, settings: { ...cur.settings, ...patch } };
      await ports.tenants.update(updated);
      await audit(ports, tenant.tenant_id, "api", "settings.updated", tenant.tenant_id, { fields: Object.keys(patch) });
      return updated;
    });
    if (patch.global_runbooks !== undefined) invalidateCatalog(tenant.tenant_id);
    return json(200, view(next.settings));
  });
};
