import { monthOf, PaymentRequired, PLAN_LIMITS, type Ports, type Tenant } from "@ir/core";
import { fingerprint, mask } from "@ir/embed";
import type { Normalized } from "./sources";

/** The first instant of the next UTC month: when the monthly counters start again. */
export const nextPeriodStart = (now: Date): string => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();

/**
 * Plans meter new incidents a month; duplicates never count. The count is kept by the match stage,
 * which decides new-versus-duplicate after the report was answered, so at the limit this check has to
 * guess that decision at report time. It uses the exact one the match stage tries first: the same
 * masked text for the same service (the fingerprint index) pointing at an OPEN incident will recur it,
 * never open one, so such a report is accepted even at the limit. A report that would only be merged by
 * template or vector similarity is refused at the limit: a look-alike is not known to be a duplicate
 * until the pipeline has decided, and answering 202 for it would let a full tenant keep opening incidents.
 *
 * The count is read when the report arrives and incremented when it is decided, so reports racing in
 * while the last few slots fill can overshoot the limit by the number in flight: a soft limit, as for
 * any metered plan.
 */
export async function checkIncidentQuota(ports: Ports, tenant: Tenant, items: Normalized[]): Promise<void> {
  const over = await overQuota(ports, tenant, items);
  if (over) throw new PaymentRequired(over.message);
}

/**
 * For webhooks, whose one notification carries many alerts: at the limit only the alerts that would open an
 * incident are turned away (recorded, with the reason); resolutions and recurrences of open incidents in the
 * same notification go through. Alertmanager sends a resolution once and retries only 5xx, so refusing the
 * whole notification would lose it. 402 when nothing in it would get through.
 */
export async function admitWithinIncidentQuota(ports: Ports, tenant: Tenant, items: Normalized[]): Promise<Normalized[]> {
  const over = await overQuota(ports, tenant, items);
  if (!over) return items;
  const admitted = items.map((item): Normalized => (over.refused.has(item) ? { kind: "recorded", reason: `not queued: ${over.message}` } : item));
  if (admitted.every((i) => i.kind === "recorded")) throw new PaymentRequired(over.message);
  return admitted;
}

/** The alarm items that would open an incident past the plan's limit, and what to tell the sender; null when none would. */
async function overQuota(ports: Ports, tenant: Tenant, items: Normalized[]): Promise<{ refused: Set<Normalized>; message: string } | null> {
  const limit = PLAN_LIMITS[tenant.plan].incidentsPerMonth;
  if (limit === Infinity) return null;
  const alarms = items.filter((i) => i.kind === "alarm");
  if (!alarms.length) return null; // resolutions and records never open an incident
  const now = ports.clock.now();
  const used = (await ports.usage.get(tenant.tenant_id, monthOf(now.toISOString()))).incidents ?? 0;
  if (used < limit) return null;
  const refused = new Set<Normalized>();
  for (const item of alarms) {
    const a = item.report;
    const id = await ports.incidents.findByFingerprint(tenant.tenant_id, a.service, fingerprint(a.service, mask(a.error)));
    const open = id ? (await ports.incidents.get(tenant.tenant_id, id))?.status === "OPEN" : false;
    if (!open) refused.add(item);
  }
  if (!refused.size) return null;
  return {
    refused,
    message: `incidents limit reached: plan ${tenant.plan} allows ${limit} new incidents a month and ${used} were opened this month; ` +
      `reports of open incidents are still accepted; the limit resets at ${nextPeriodStart(now)}`,
  };
}
