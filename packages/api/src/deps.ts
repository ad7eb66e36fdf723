import { ChangedConcurrently, Unauthorized, type AlarmState, type Ports, type Tenant } from "@ir/core";
import type { IngestRateLimiter } from "./rate-limit";

export interface ApiOptions {
  /** SHA-256 of the admin key; admin routes compare against it in constant time. */
  adminKeyHash: string;
  /** Resolve when an alarm's outcome is known (embedded: woken on commit). Defaults to polling the store. */
  waitForOutcome?: (tenantId: string, alarmId: string, ms: number) => Promise<AlarmState | null>;
  /**
   * Run a mutation with exclusive use of the store (embedded); elsewhere just run it. The mutation must use
   * the ports it is given: in the embedded runtime their writes join its transaction.
   */
  exclusive?: <T>(fn: (ports: Ports) => Promise<T>) => Promise<T>;
  /** Served at /dashboard. */
  dashboardHtml?: () => string;
}

export interface Deps extends Required<Omit<ApiOptions, "dashboardHtml">> { ports: Ports; dashboardHtml?: () => string; ingestLimiter: IngestRateLimiter }

export const pollForOutcome = (ports: Ports) => async (tenantId: string, alarmId: string, ms: number): Promise<AlarmState | null> => {
  const until = Date.now() + ms;
  for (;;) {
    const s = await ports.alarms.get(tenantId, alarmId);
    if (s && s.status !== "queued") return s;
    if (Date.now() >= until) return null;
    await new Promise((r) => setTimeout(r, 100));
  }
};

/**
 * A tenant's mutation, with exclusive use of the store: refused like an unknown key if the tenant was erased
 * after its request authenticated, so the write cannot bring an erased tenant's data back. `fn` gets the
 * tenant as it is now, read inside the exclusive section.
 */
export async function mutate<T>(deps: Deps, tenantId: string, fn: (ports: Ports, tenant: Tenant) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.exclusive(async (ports) => {
        const tenant = await ports.tenants.get(tenantId);
        if (!tenant) throw new Unauthorized();
        return fn(ports, tenant);
      });
    } catch (err) {
      // On AWS the pipeline writes the same incidents (a recurrence, enrich's advice): a mutation that lost to one
      // is redone from fresh reads. A 409 here, after the first write of a resolve landed, left it half done.
      if (!(err instanceof ChangedConcurrently) || attempt >= MUTATION_TRIES) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 50 * attempt));
    }
  }
}
const MUTATION_TRIES = 5;
