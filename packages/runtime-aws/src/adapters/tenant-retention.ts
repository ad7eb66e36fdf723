import { PLAN_LIMITS, retentionDaysOf, type TenantStore } from "@ir/core";

/** A plan change reaches writes within this long; the worker, which decides what is purged, reads the plan itself. */
const FRESH_MS = 60_000;

/**
 * Days a tenant's incidents and alarms are kept (its plan's, or an enterprise tenant's own), for the adapters that
 * stamp expiry on what they write. Every stage writes several items per alarm, so the tenant is read once a
 * minute per container, not once per write.
 */
export class TenantRetention {
  private readonly cache = new Map<string, { days: number; at: number }>();

  constructor(private readonly tenants: Pick<TenantStore, "get">, private readonly freshMs = FRESH_MS) {}

  async days(tenantId: string): Promise<number> {
    const hit = this.cache.get(tenantId);
    const now = Date.now();
    if (hit && now - hit.at < this.freshMs) return hit.days;
    const tenant = await this.tenants.get(tenantId);
    // No tenant: erased while its work was in flight. The shortest retention lets what is written anyway clean itself up.
    const days = tenant ? retentionDaysOf(tenant) : PLAN_LIMITS.free.retentionDays;
    this.cache.set(tenantId, { days, at: now });
    return days;
  }
}
