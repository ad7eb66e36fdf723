import { ingestPerSecondOf, TooManyRequests, type Clock, type Tenant } from "@ir/core";

interface Bucket { tokens: number; atMs: number; rate: number; capacity: number }

/** Seconds of its rate a tenant may spend at once: bursts (a deploy, a flapping check) are normal, floods are not. */
export const BURST_SECONDS = 2;
/** Past this many tenants, buckets that have refilled completely (idle tenants) are forgotten. */
const PRUNE_AT = 10_000;

/**
 * A token bucket per tenant on ingest (`POST /api/v1/incidents`, `/api/v1/ingest/*`): it refills at the
 * tenant's rate (`ingestPerSecondOf`) and holds `BURST_SECONDS` worth. Each alarm costs a token; a request that
 * cannot be paid for is refused whole with 429 and a Retry-After saying when it could be.
 *
 * Buckets live in this process's memory. Embedded, that is the whole deployment, so the limit is exact.
 * On AWS each warm Lambda container keeps its own buckets, so a tenant spread over N containers may reach
 * N times its rate; the API Gateway stage throttle (stacks/api.ts) bounds the total, and ingest queues
 * absorb what gets through.
 */
export class IngestRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSecond: (tenant: Tenant) => number = ingestPerSecondOf,
  ) {}

  /** Spend `cost` tokens of the tenant's bucket, or throw TooManyRequests with the wait until it could. */
  take(tenant: Tenant, cost: number): void {
    const rate = this.ratePerSecond(tenant);
    if (!Number.isFinite(rate)) return;
    const capacity = rate * BURST_SECONDS;
    // A batch larger than the whole bucket could never pass at its cost: it passes with a full bucket, and pays
    // all of it, leaving the bucket in debt. Charged only a bucket, batches of thousands went at many times the rate.
    const price = Math.min(cost, capacity);
    const nowMs = this.clock.now().getTime();
    const b = this.refilled(tenant.tenant_id, rate, capacity, nowMs);
    if (b.tokens >= price) {
      b.tokens -= cost;
      return;
    }
    const waitSeconds = (price - b.tokens) / rate;
    throw new TooManyRequests(
      `ingest rate limit: plan ${tenant.plan} allows ${rate} alarms a second (bursts of ${capacity}); retry in ${Math.max(1, Math.ceil(waitSeconds))} s`,
      waitSeconds,
    );
  }

  private refilled(tenantId: string, rate: number, capacity: number, nowMs: number): Bucket {
    let b = this.buckets.get(tenantId);
    if (!b) {
      if (this.buckets.size >= PRUNE_AT) this.prune(nowMs);
      b = { tokens: capacity, atMs: nowMs, rate, capacity };
      this.buckets.set(tenantId, b);
      return b;
    }
    // A clock that steps back (NTP) must not mint tokens or drain them.
    const elapsed = Math.max(0, nowMs - b.atMs) / 1000;
    b.rate = rate;
    b.capacity = capacity;
    b.tokens = Math.min(capacity, b.tokens + elapsed * rate);
    b.atMs = Math.max(b.atMs, nowMs);
    return b;
  }

  /** Buckets idle long enough to be full again carry no state worth keeping. */
  private prune(nowMs: number) {
    for (const [id, b] of this.buckets) if (b.tokens + ((nowMs - b.atMs) / 1000) * b.rate >= b.capacity) this.buckets.delete(id);
  }
}
