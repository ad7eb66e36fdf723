import type { Plan, Tenant } from "./schemas";

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
