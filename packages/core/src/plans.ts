import type { Incident, Plan, Tenant } from "./schemas";

export interface PlanLimits { incidentsPerMonth: number; customRunbooks: number; retentionDays: number; ingestPerSecond: number; integrations: Array<"slack" | "pagerduty" | "webhook"> }

/** What each plan promises (DESIGN §5); Infinity means unlimited. */
export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  free: { incidentsPerMonth: 100, customRunbooks: 5, retentionDays: 7, ingestPerSecond: 50, integrations: ["slack", "pagerduty", "webhook"] },
  starter: { incidentsPerMonth: 1_000, customRunbooks: 20, retentionDays: 30, ingestPerSecond: 200, integrations: ["slack", "pagerduty", "webhook"] },
  professional: { incidentsPerMonth: 10_000, customRunbooks: 50, retentionDays: 90, ingestPerSecond: 1_000, integrations: ["slack", "pagerduty", "webhook"] },
  enterprise: { incidentsPerMonth: Infinity, customRunbooks: Infinity, retentionDays: 365, ingestPerSecond: 10_000, integrations: ["slack", "pagerduty", "webhook"] },
};

/** Days a tenant's incidents and alarms are kept: the plan's, or for enterprise the tenant's own setting. */
export const retentionDaysOf = (tenant: Tenant): number =>
  tenant.plan === "enterprise" && tenant.settings.retention_days ? tenant.settings.retention_days : PLAN_LIMITS[tenant.plan].retentionDays;

/**
 * When an incident's retention starts counting: at its resolution, or while it is OPEN at its last occurrence; never
 * while a stateful source (a CloudWatch alarm, an Alertmanager alert) still fires for it. Such a source says nothing
 * more until it resolves (CloudWatch sends state changes only; Alertmanager's re-sends are the same alert), so a long
 * outage leaves its incident quiet past any retention. Purged then, the incident would vanish while the alarm is on,
 * and the resolution would find nothing to close: the page it opened would never be resolved.
 * An incident whose keys overflowed no longer resolves from its sources (see match), so it ages as usual.
 */
export const retainedFrom = (i: Pick<Incident, "status" | "resolved_at" | "last_seen" | "source_keys" | "resolved_source_keys" | "source_keys_overflowed">): string | null => {
  if (i.status === "RESOLVED") return i.resolved_at ?? i.last_seen;
  const firing = !i.source_keys_overflowed && i.source_keys.some((k) => !i.resolved_source_keys?.includes(k));
  return firing ? null : i.last_seen;
};
