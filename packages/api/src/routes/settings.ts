import { AwsAccountId, awsAccountClaimsOf, claimAwsAccounts, Conflict, Severity, TenantSettings, verificationAlarmName, withAwsAccountClaims, type AwsAccountClaim } from "@ir/core";
import { invalidateCatalog } from "@ir/match";
import * as z from "zod";
import { tenantOf } from "../auth";
import { audit } from "../audit";
import { mutate, type Deps } from "../deps";
import { parseBody } from "../parse";
import { json, type Router } from "../router";

/** What a tenant may change about how its alarms are read; secrets and notification routing have their own routes. */
export const SettingsPatch = z.object({
  auto_resolve: z.boolean().optional(),
  default_severity: Severity.optional(),
  global_runbooks: z.boolean().optional(),
  cloudwatch_service_from: TenantSettings.shape.cloudwatch_service_from.min(1).optional(),
  /** Exactly the accounts to claim: new ones start pending, ones left out are released. */
  aws_account_ids: z.array(AwsAccountId).max(100).optional(),
}).strict();

const AwsAccountClaimView = z.object({
  account_id: z.string(),
  status: z.enum(["pending", "verified"]),
  /** While pending: the code to prove ownership with, and the alarm name that carries it. Null once verified. */
  verification_code: z.string().nullable(),
  verification_alarm_name: z.string().nullable(),
  claimed_at: z.string().nullable(),
  verified_at: z.string().nullable(),
});

export const SettingsView = z.object({
  auto_resolve: z.boolean(),
  default_severity: Severity,
  global_runbooks: z.boolean(),
  cloudwatch_service_from: TenantSettings.shape.cloudwatch_service_from,
  /** Every account claimed, pending or verified: what the last PATCH asked for. */
  aws_account_ids: z.array(z.string()),
  aws_account_claims: z.array(AwsAccountClaimView),
});

const claimView = (c: AwsAccountClaim): z.infer<typeof AwsAccountClaimView> => {
  const code = c.status === "pending" ? c.verification_code : null;
  return {
    account_id: c.account_id, status: c.status, verification_code: code, verification_alarm_name: code ? verificationAlarmName(code) : null,
    claimed_at: c.claimed_at, verified_at: c.verified_at,
  };
};

const view = (s: TenantSettings): z.infer<typeof SettingsView> => ({
  auto_resolve: s.auto_resolve, default_severity: s.default_severity, global_runbooks: s.global_runbooks,
  cloudwatch_service_from: s.cloudwatch_service_from, aws_account_ids: s.aws_account_ids, aws_account_claims: awsAccountClaimsOf(s).map(claimView),
});

export const settingsRoutes = (r: Router, deps: Deps) => {
  const { ports } = deps;
  r.on("GET", "/api/v1/settings", async ({ req }) => json(200, view((await tenantOf(deps, req)).settings)));

  r.on("PATCH", "/api/v1/settings", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const body = parseBody(req, SettingsPatch);
    const { aws_account_ids: accounts, ...patch } = body;
    const next = await mutate(deps, tenant.tenant_id, async (ports, cur) => {
      let settings = { ...cur.settings, ...patch };
      if (accounts) {
        const claims = claimAwsAccounts(awsAccountClaimsOf(cur.settings), accounts, ports.clock.now().toISOString());
        // Any number of tenants may wait on an account; once one has proven it owns it, nobody else may claim it.
        for (const claim of claims.filter((c) => c.status === "pending")) {
          const holder = await ports.tenants.findByAwsAccount(claim.account_id);
          if (holder && holder.tenant_id !== tenant.tenant_id) throw new Conflict(`aws_account_ids: ${claim.account_id} is verified by another tenant`);
        }
        settings = withAwsAccountClaims(settings, claims);
      }
      const updated = { ...cur, settings };
      await ports.tenants.update(updated);
      await audit(ports, tenant.tenant_id, "api", "settings.updated", tenant.tenant_id, { fields: Object.keys(body) });
      return (await ports.tenants.get(tenant.tenant_id)) ?? updated;
    });
    if (patch.global_runbooks !== undefined) invalidateCatalog(tenant.tenant_id);
    return json(200, view(next.settings));
  });
};
