import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent } from "@ir/core";
import { until } from "../support/until";
import { pool, startServer, type Client, type Res } from "../support/embedded";

/** Mid-month, so the reset date is known; time still flows (the ingest rate limit refills with it). */
const BASE = Date.parse("2031-05-15T12:00:00.000Z");
const RESET = "2031-06-01T00:00:00.000Z";

/** A 429 from the ingest rate limit is waited out as its Retry-After says; these tests are about quotas. */
async function send(fn: () => Promise<Res>): Promise<Res> {
  for (;;) {
    const r = await fn();
    if (r.status !== 429) return r;
    await new Promise((res) => setTimeout(res, Number(r.headers.get("retry-after") ?? 1) * 1000));
  }
}

const alertmanager = (status: "firing" | "resolved", name: string, service: string, summary: string) => ({
  version: "4", status, receiver: "ir", groupKey: `{}:{alertname="${name}"}`, truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {},
  externalURL: "http://am:9093",
  alerts: [{
    status, labels: { alertname: name, service, severity: "warning" }, annotations: { summary },
    startsAt: "2031-05-15T11:00:00Z", endsAt: status === "resolved" ? "2031-05-15T11:30:00Z" : "0001-01-01T00:00:00Z",
    generatorURL: "http://prom/graph", fingerprint: `fp-${name}`,
  }],
});

describe("plans: monthly incident quota, runbook limit and usage (DESIGN §5)", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let free: Client;
  let freeKey: string;
  const opened: string[] = [];

  beforeAll(async () => {
    srv = await startServer();
    const t0 = Date.now();
    srv.ports.clock = { now: () => new Date(BASE + (Date.now() - t0)) };
    ({ client: free, api_key: freeKey } = await srv.client.tenant("free-co"));
  });
  afterAll(() => srv.stop());

  it("opens 100 new incidents on the free plan; duplicates of them never count", async () => {
    // One service each: nothing can merge them, so each is a new incident.
    const outcomes = await pool(Array.from({ length: 100 }, (_, i) => i), 8, (i) => send(() => free.report(`disk full on /var/lib/data (volume ${i}, 98% used)`, `svc-${i}`)));
    expect(outcomes.map((o) => o.body.status)).toEqual(Array(100).fill("new"));
    opened.push(...outcomes.map((o) => o.body.incident_id as string));
    const dup = await send(() => free.report("disk full on /var/lib/data (volume 7777, 99% used)", "svc-3"));
    expect(dup.body).toMatchObject({ status: "existing", incident_id: opened[3], occurrences: 2 });

    const usage = (await free.req("GET", "/api/v1/usage")).body;
    expect(usage).toMatchObject({ period: "2031-05", plan: "free", incidents: { used: 100, limit: 100 }, alarms: { used: 101, limit: null }, retention_days: 7, resets_at: RESET });
  });

  it("answers the 101st new incident with 402 naming the limit and when it resets", async () => {
    const r = await send(() => free.report("certificate for api.acme.io expired", "edge"));
    expect(r.status).toBe(402);
    expect(r.body.error.code).toBe("plan_limit");
    expect(r.body.error.message).toContain("incidents limit reached");
    expect(r.body.error.message).toContain("plan free allows 100 new incidents a month");
    expect(r.body.error.message).toContain(`resets at ${RESET}`);
    expect((await free.req("GET", "/api/v1/incidents?limit=500")).body.incidents).toHaveLength(100);
  });

  it("still accepts duplicates of open incidents at the limit, and they do not count", async () => {
    const dups = await pool([5, 17, 99], 3, (i) => send(() => free.report(`disk full on /var/lib/data (volume ${i * 31}, 97% used)`, `svc-${i}`)));
    expect(dups.map((d) => d.status)).toEqual([200, 200, 200]);
    expect(dups.map((d) => d.body.incident_id)).toEqual([opened[5], opened[17], opened[99]]);
    expect(dups.every((d) => d.body.status === "existing")).toBe(true);
    // Without waiting for the decision too: the 202 is given at report time.
    expect((await send(() => free.report("disk full on /var/lib/data (volume 1, 99% used)", "svc-1", {}, ""))).status).toBe(202);
    // Counted when decided: read usage once it is.
    await srv.pump.idle();

    const usage = (await free.req("GET", "/api/v1/usage")).body;
    expect(usage.incidents).toEqual({ used: 100, limit: 100 });
  });

  it("refuses at the limit what would open an incident: a regression of a resolved one, a new Alertmanager alert", async () => {
    await free.req("POST", `/api/v1/incidents/${opened[8]}/resolve`, { resolution: "grew the volume", resolved_by: "sre" });
    const regression = await send(() => free.report("disk full on /var/lib/data (volume 8, 99% used)", "svc-8"));
    expect(regression.status).toBe(402);

    const firing = await send(() => free.req("POST", "/api/v1/ingest/alertmanager", alertmanager("firing", "KafkaLag", "kafka", "consumer lag above 10000")));
    expect(firing.status).toBe(402);
    expect(firing.body.error.message).toContain(RESET);
    // A resolution never opens anything, so it always gets through.
    const resolved = await send(() => free.req("POST", "/api/v1/ingest/alertmanager", alertmanager("resolved", "KafkaLag", "kafka", "consumer lag above 10000")));
    expect(resolved.status).toBe(202);
    // A duplicate through Alertmanager is accepted like one through the HTTP endpoint.
    const dupAlert = await send(() => free.req("POST", "/api/v1/ingest/alertmanager", alertmanager("firing", "DiskFull", "svc-42", "disk full on /var/lib/data (volume 5, 99% used)")));
    expect(dupAlert.status).toBe(202);
    await srv.pump.idle();
    expect((await free.req("GET", "/api/v1/usage")).body.incidents.used).toBe(100);
  });

  it("at the limit, takes a webhook's resolutions and turns away only its alerts that would open an incident", async () => {
    // Alertmanager sends a resolution once and retries only 5xx: a 402 for the whole notification would lose it.
    const resolved = alertmanager("resolved", "DiskFull", "svc-42", "disk full on /var/lib/data (volume 5, 99% used)").alerts[0];
    const fresh = alertmanager("firing", "CertExpiry", "edge-2", "certificate for shop.acme.io expires in 2 days").alerts[0];
    const mixed = { ...alertmanager("firing", "Mixed", "svc-42", "x"), alerts: [resolved, fresh] };
    const r = await send(() => free.req("POST", "/api/v1/ingest/alertmanager", mixed));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ alarms: [], resolved: 1 });
    expect(r.body.recorded).toEqual([expect.stringContaining("incidents limit reached")]);
    await until(async () => (await free.req("GET", `/api/v1/incidents/${opened[42]}`)).body.status === "RESOLVED" || null);
    expect((await free.req("GET", "/api/v1/incidents?service=edge-2")).body.incidents).toEqual([]);
  });

  it("does the same for a webhook published straight to SQS, and dead-letters one of which nothing gets through", async () => {
    const raw = (id: string, body: unknown) => {
      const now = srv.ports.clock.now().toISOString();
      return makeEvent("source.raw", "", `sqs:${id}`, { body: JSON.stringify(body), attributes: { "ir-api-key": freeKey }, received_at: now }, now);
    };
    const disk = (status: "firing" | "resolved") => alertmanager(status, "DiskFull61", "svc-61", "disk full on /var/lib/data (volume 61, 99% used)");
    expect((await send(() => free.req("POST", "/api/v1/ingest/alertmanager", disk("firing")))).status).toBe(202);
    await until(async () => (await free.req("GET", `/api/v1/incidents/${opened[61]}`)).body.occurrences === 2 || null);
    const resolved = disk("resolved").alerts[0];
    const fresh = alertmanager("firing", "CertExpiry", "edge-3", "certificate for www.acme.io expires in 2 days").alerts[0];
    await srv.ports.bus.publish([raw("mixed", { ...alertmanager("firing", "Mixed", "svc-61", "x"), alerts: [resolved, fresh] })]);
    await until(async () => (await free.req("GET", `/api/v1/incidents/${opened[61]}`)).body.status === "RESOLVED" || null);

    await srv.ports.bus.publish([raw("refused", { ...alertmanager("firing", "Refused", "edge-4", "x"), alerts: [{ ...fresh, fingerprint: "fp-refused", labels: { ...fresh.labels, service: "edge-4" } }] })]);
    const letters = async () => (await srv.ports.deadLetters.list(null, { limit: 50 })).items;
    const letter = await until(async () => (await letters()).find((d) => d.body.includes("fp-refused")) ?? null);
    expect(letter.reason).toContain("plan_limit");
    expect((await free.req("GET", "/api/v1/dlq")).body.dead_letters.map((d: { id: string }) => d.id)).toContain(letter.id);
    expect((await letters()).some((d) => d.body.includes("Mixed"))).toBe(false);
    expect((await free.req("GET", "/api/v1/incidents?service=edge-3")).body.incidents).toEqual([]);
  });

  it("refuses the 6th custom runbook on the free plan with 402, and takes one again after a delete", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await free.req("POST", "/api/v1/runbooks", { title: `Runbook ${i}`, content: `## Resolution\nstep ${i}` });
      expect(r.status).toBe(201);
      ids.push(r.body.runbook_id);
    }
    const sixth = await free.req("POST", "/api/v1/runbooks", { title: "one too many", content: "x" });
    expect(sixth.status).toBe(402);
    expect(sixth.body.error).toMatchObject({ code: "plan_limit", message: expect.stringContaining("plan free allows 5 custom runbooks") });
    expect((await free.req("GET", "/api/v1/usage")).body.runbooks).toEqual({ used: 5, limit: 5 });

    await free.req("DELETE", `/api/v1/runbooks/${ids[0]}`);
    expect((await free.req("POST", "/api/v1/runbooks", { title: "room again", content: "x" })).status).toBe(201);
  });

  it.each([
    ["free", { incidents: 100, runbooks: 5, retention_days: 7, ingest_per_second: 50 }],
    ["starter", { incidents: 1_000, runbooks: 20, retention_days: 30, ingest_per_second: 200 }],
    ["professional", { incidents: 10_000, runbooks: 50, retention_days: 90, ingest_per_second: 1_000 }],
    ["enterprise", { incidents: null, runbooks: null, retention_days: 365, ingest_per_second: 10_000 }],
  ] as const)("GET /api/v1/usage shows the %s plan's limits", async (plan, limits) => {
    const api = (await srv.client.tenant(`usage-${plan}`, { plan })).client;
    const u = (await api.req("GET", "/api/v1/usage")).body;
    expect(u).toEqual({
      period: "2031-05", plan, resets_at: RESET, retention_days: limits.retention_days, ingest_per_second: limits.ingest_per_second,
      incidents: { used: 0, limit: limits.incidents }, alarms: { used: 0, limit: null }, runbooks: { used: 0, limit: limits.runbooks },
    });
  });

  it("gives enterprise tenants custom retention, and no other plan", async () => {
    const ent = (await srv.client.tenant("big-co", { plan: "enterprise", retention_days: 730 })).client;
    expect((await ent.req("GET", "/api/v1/usage")).body.retention_days).toBe(730);
    const r = await srv.client.req("POST", "/api/v1/admin/tenants", { name: "cheap-co", plan: "starter", retention_days: 730 }, { "x-admin-key": "test-admin-key-0123456789" });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("retention_days");
  });

  it("gives enterprise tenants a custom ingest rate, and no other plan", async () => {
    const ent = (await srv.client.tenant("fast-co", { plan: "enterprise", ingest_per_second: 50_000 })).client;
    expect((await ent.req("GET", "/api/v1/usage")).body.ingest_per_second).toBe(50_000);
    const admin = { "x-admin-key": "test-admin-key-0123456789" };
    const cheap = await srv.client.req("POST", "/api/v1/admin/tenants", { name: "cheap-co", plan: "professional", ingest_per_second: 50_000 }, admin);
    expect(cheap.status).toBe(400);
    expect(cheap.body.error.message).toContain("only the enterprise plan has a custom ingest rate");
    const absurd = await srv.client.req("POST", "/api/v1/admin/tenants", { name: "absurd-co", plan: "enterprise", ingest_per_second: 0 }, admin);
    expect(absurd.status).toBe(400);
    expect(absurd.body.error.message).toContain("ingest_per_second");
  });
});
