import type { Plan } from "./schemas";

export interface PlanLimits { incidentsPerMonth: number; customRunbooks: number; retentionDays: number; ingestPerSecond: number; integrations: Array<"slack" | "pagerduty" | "webhook"> }

/** What each plan promises (DESIGN §5); Infinity means unlimited. */
export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  free: { incidentsPerMonth: 100, customRunbooks: 5, retentionDays: 7, ingestPerSecond: 50, integrations: ["slack", "pagerduty", "webhook"] },
  starter: { incidentsPerMonth: 1_000, customRunbooks: 20, retentionDays: 30, ingestPerSecond: 200, integrations: ["slack", "pagerduty", "webhook"] },
  professional: { incidentsPerMonth: 10_000, customRunbooks: 50, retentionDays: 90, ingestPerSecond: 1_000, integrations: ["slack", "pagerduty", "webhook"] },
  enterprise: { incidentsPerMonth: Infinity, customRunbooks: Infinity, retentionDays: 365, ingestPerSecond: 10_000, integrations: ["slack", "pagerduty", "webhook"] },
};
