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

/** Alarms a second a tenant may report: the plan's, or for enterprise the rate agreed for the tenant. */
export const ingestPerSecondOf = (tenant: Tenant): number =>
  tenant.plan === "enterprise" && tenant.settings.ingest_per_second ? tenant.settings.ingest_per_second : PLAN_LIMITS[tenant.plan].ingestPerSecond;

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

/**
 * The longest an incident held open by a firing source is kept after its last alarm (the plan's retention if that
 * is longer). A source may never resolve: an alarm deleted while in ALARM, one left in INSUFFICIENT_DATA, an OK
 * lost on the way. Without a bound those incidents would outlive every retention promise.
 */
export const HELD_OPEN_MAX_DAYS = 90;
const DAY_MS = 86_400_000;

/**
 * Whether an incident is past its tenant's retention at `now` (see retainedFrom). With auto-resolve off no source
 * resolves anything, so nothing is held open: it ages from its last alarm like any OPEN incident.
 */
export function pastRetention(
  i: Parameters<typeof retainedFrom>[0],
  retentionDays: number, autoResolve: boolean, now: Date,
): boolean {
  const from = retainedFrom(i);
  const { cutoff, heldCutoff } = retentionCutoffs(retentionDays, autoResolve, now);
  return from !== null ? from < cutoff : i.last_seen < heldCutoff;
}

/** Before `cutoff` an incident's activity (retainedFrom) is too old; before `heldCutoff`, the last alarm of one held open. */
export function retentionCutoffs(retentionDays: number, autoResolve: boolean, now: Date): { cutoff: string; heldCutoff: string } {
  const held = autoResolve ? Math.max(retentionDays, HELD_OPEN_MAX_DAYS) : retentionDays;
  return { cutoff: new Date(now.getTime() - retentionDays * DAY_MS).toISOString(), heldCutoff: new Date(now.getTime() - held * DAY_MS).toISOString() };
}
