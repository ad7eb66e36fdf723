import { describe, expect, it } from "vitest";
import { TooManyRequests, type Plan, type Tenant } from "@ir/core";
import { BURST_SECONDS, IngestRateLimiter } from "../src/rate-limit";

const tenant = (id: string, plan: Plan = "free", settings: Partial<Tenant["settings"]> = {}) => ({ tenant_id: id, plan, settings }) as Tenant;

function setup(rate = 10) {
  let t = Date.parse("2031-01-01T00:00:00Z");
  const limiter = new IngestRateLimiter({ now: () => new Date(t) }, () => rate);
  const take = (cost = 1, who = tenant("a")) => { try { limiter.take(who, cost); return null; } catch (e) { return e as TooManyRequests; } };
  return { limiter, take, advance: (ms: number) => (t += ms) };
}

describe("per-tenant ingest token bucket", () => {
  it("lets a burst of twice the rate through at once, then refuses with a Retry-After", () => {
    const { take } = setup(10);
    for (let i = 0; i < 10 * BURST_SECONDS; i++) expect(take()).toBeNull();
    const refused = take();
    expect(refused).toBeInstanceOf(TooManyRequests);
    expect(refused).toMatchObject({ status: 429, code: "rate_limited", headers: { "retry-after": "1" } });
    expect(refused!.message).toContain("plan free allows 10 alarms a second (bursts of 20)");
  });

  it("refills at the plan's rate", () => {
    const { take, advance } = setup(10);
    for (let i = 0; i < 20; i++) take();
    advance(100); // one token
    expect(take()).toBeNull();
    expect(take()).not.toBeNull();
    advance(1_000);
    for (let i = 0; i < 10; i++) expect(take()).toBeNull();
    expect(take()).not.toBeNull();
    advance(60_000); // never more than the burst
    for (let i = 0; i < 20; i++) expect(take()).toBeNull();
    expect(take()).not.toBeNull();
  });

  it("charges a webhook per alarm and says how long a big batch must wait", () => {
    const { take } = setup(10);
    expect(take(15)).toBeNull();
    const refused = take(10);
    expect(refused?.headers["retry-after"]).toBe("1"); // 5 left, 5 short at 10/s: half a second, rounded up
    expect(take(5)).toBeNull();
    const big = take(1_000); // larger than the bucket: costs a full bucket, so it can pass once the bucket is full
    expect(big?.headers["retry-after"]).toBe("2");
  });

  it("charges a batch larger than the bucket all of it: batches of thousands stay at the plan's rate", () => {
    const { take, advance } = setup(10);
    let passed = 0;
    // A batch of 1,000 every 2 s for a minute: at 10 alarms/s, one in fifty batches' worth may pass.
    for (let i = 0; i < 30; i++) {
      if (take(1_000) === null) passed += 1_000;
      advance(2_000);
    }
    expect(passed).toBeLessThanOrEqual(60 * 10 + 1_000);
  });

  it("keeps tenants apart", () => {
    const { take } = setup(10);
    for (let i = 0; i < 20; i++) take(1, tenant("a"));
    expect(take(1, tenant("a"))).not.toBeNull();
    expect(take(1, tenant("b"))).toBeNull();
  });

  it("uses the plan's ingestPerSecond by default", () => {
    const t = Date.parse("2031-01-01T00:00:00Z");
    const limiter = new IngestRateLimiter({ now: () => new Date(t) });
    const pass = (who: Tenant, n: number) => { let ok = 0; for (let i = 0; i < n; i++) { try { limiter.take(who, 1); ok++; } catch { /* refused */ } } return ok; };
    expect(pass(tenant("f", "free"), 1_000)).toBe(100);
    expect(pass(tenant("s", "starter"), 1_000)).toBe(400);
    expect(pass(tenant("e", "enterprise"), 30_000)).toBe(20_000);
    // An enterprise tenant's agreed rate replaces the plan's; on another plan the setting means nothing.
    expect(pass(tenant("e2", "enterprise", { ingest_per_second: 15_000 }), 40_000)).toBe(30_000);
    expect(pass(tenant("s2", "starter", { ingest_per_second: 15_000 }), 1_000)).toBe(400);
  });

  it("does not mint tokens when the clock steps back", () => {
    const { take, advance } = setup(10);
    for (let i = 0; i < 20; i++) take();
    advance(-5_000);
    expect(take()).not.toBeNull();
    advance(5_000); // back where it was: no time has passed for the bucket
    expect(take()).not.toBeNull();
    advance(100);
    expect(take()).toBeNull();
  });
});
