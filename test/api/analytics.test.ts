import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Client } from "../support/embedded";
import { takeClock } from "../support/clock";

const MIN = 60_000;
const TIMEOUT = (s: number) => `Task timed out after ${s} seconds`;

describe("GET /api/v1/analytics from daily counters", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  const ids: Record<string, string> = {};

  // A week and a day of incidents, laid out on a moved clock (2025-03-03 is a Monday).
  beforeAll(async () => {
    srv = await startServer();
    api = (await srv.client.tenant("analytics", { plan: "starter" })).client;
    const clock = takeClock(srv.ports, "2025-03-03T09:00:00Z");
    const resolve = (id: string, runbook_id?: string) =>
      api.req("POST", `/api/v1/incidents/${id}/resolve`, { resolution: "raised the timeout", resolved_by: "oncall@acme.io", ...(runbook_id ? { runbook_id } : {}) });

    ids.a = (await api.report(TIMEOUT(30.03), "checkout")).body.incident_id;
    clock.advance(10 * MIN);
    expect((await api.report(TIMEOUT(29.87), "checkout")).body.status).toBe("existing");
    expect((await api.report(TIMEOUT(31.2), "checkout")).body.status).toBe("existing");
    ids.b = (await api.report("Connection refused to redis:6379", "payments")).body.incident_id;
    clock.advance(30 * MIN); // 09:40
    expect((await resolve(ids.b)).status).toBe(200); // 30 min
    clock.advance(20 * MIN); // 10:00
    expect((await resolve(ids.a, "rb_global_lambda-timeout")).status).toBe(200); // 60 min

    clock.set("2025-03-04T08:00:00Z");
    const back = await api.report(TIMEOUT(30.5), "checkout");
    expect(back.body).toMatchObject({ status: "regression", regression_of: ids.a });
    ids.a2 = back.body.incident_id;
    expect((await api.report(TIMEOUT(30.7), "checkout")).body.status).toBe("existing");
    clock.advance(120 * MIN);
    expect((await resolve(ids.a2, "rb_global_lambda-timeout")).status).toBe(200); // 120 min

    clock.set("2025-03-10T12:00:00Z");
    ids.c = (await api.report("Certificate for api.acme.io expires in 3 days", "checkout")).body.incident_id;
  });
  afterAll(() => srv.stop());

  const analytics = (q: string) => api.req("GET", `/api/v1/analytics?${q}`);

  it("sums opens, duplicates, regressions and resolutions, with exact mean and histogram median MTTR", async () => {
    const { status, body } = await analytics("from=2025-03-03&to=2025-03-10");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      from: "2025-03-03", to: "2025-03-10", service: null,
      incidents: { opened: 4, regressions: 1, resolved: 3 },
      alarms: 7,
      duplicates_prevented: 3,
      mttr_seconds: { mean: 4200 },
    });
    expect(Math.abs(body.mttr_seconds.median - 3600) / 3600).toBeLessThan(0.05);
    expect(body.assumptions).toMatchObject({ minutes_per_duplicate_triage: 5, minutes_saved_per_matched_runbook: 15 });
    expect(body.time_saved_minutes % 5).toBe(0);
    expect(body.time_saved_minutes).toBeGreaterThanOrEqual(3 * 5);
  });

  it("gives a daily trend with every day of the window and a weekly trend by ISO week", async () => {
    const { body } = await analytics("from=2025-03-03&to=2025-03-10");
    expect(body.trend.daily).toHaveLength(8);
    expect(body.trend.daily[0]).toMatchObject({ day: "2025-03-03", opened: 2, duplicates: 2, resolved: 2, mttr_mean_seconds: 2700 });
    expect(body.trend.daily[1]).toMatchObject({ day: "2025-03-04", opened: 1, regressions: 1, duplicates: 1, resolved: 1, mttr_mean_seconds: 7200 });
    expect(body.trend.daily[2]).toMatchObject({ day: "2025-03-05", opened: 0, resolved: 0, mttr_mean_seconds: null, mttr_median_seconds: null });
    expect(body.trend.weekly).toEqual([
      expect.objectContaining({ week: "2025-03-03", opened: 3, regressions: 1, duplicates: 3, resolved: 3, mttr_mean_seconds: 4200 }),
      expect.objectContaining({ week: "2025-03-10", opened: 1, resolved: 0 }),
    ]);
  });

  it("agrees with a recount over the incidents themselves", async () => {
    const { body } = await analytics("from=2025-03-03&to=2025-03-10");
    const all = (await api.req("GET", "/api/v1/incidents?limit=100")).body.incidents as Array<{ occurrences: number; regression_of: string | null; status: string; runbook_matched: boolean }>;
    expect(body.incidents.opened).toBe(all.length);
    expect(body.incidents.regressions).toBe(all.filter((i) => i.regression_of).length);
    expect(body.incidents.resolved).toBe(all.filter((i) => i.status === "RESOLVED").length);
    expect(body.duplicates_prevented).toBe(all.reduce((n, i) => n + i.occurrences - 1, 0));
    // Both terms of the estimate, each at its stated rate (the timeouts match a global runbook, so the second is not 0).
    const matched = all.filter((i) => i.runbook_matched).length;
    expect(matched).toBeGreaterThan(0);
    expect(body.time_saved_minutes).toBe(body.duplicates_prevented * 5 + matched * 15);
  });

  it("ranks top incidents by occurrences and tracks what each runbook did", async () => {
    const { body } = await analytics("from=2025-03-03&to=2025-03-10");
    expect(body.top_incidents[0]).toMatchObject({ incident_id: ids.a, occurrences: 3, status: "RESOLVED" });
    expect(body.top_incidents.map((i: { incident_id: string }) => i.incident_id)).toEqual(expect.arrayContaining([ids.a, ids.a2, ids.b, ids.c]));
    const rb = body.runbook_effectiveness.find((r: { runbook_id: string }) => r.runbook_id === "rb_global_lambda-timeout");
    // Used twice; the first fix came back as a regression, the second held.
    expect(rb).toMatchObject({ used: 2, regressed: 1, resolved: 1, title: expect.stringMatching(/timeout/i) });
    expect(rb.recommended).toBeGreaterThanOrEqual(2);
  });

  it("filters by service from the same counters", async () => {
    const { body } = await analytics("from=2025-03-03&to=2025-03-10&service=checkout");
    expect(body).toMatchObject({ service: "checkout", incidents: { opened: 3, regressions: 1, resolved: 2 }, duplicates_prevented: 3, mttr_seconds: { mean: 5400 } });
    expect(body.top_incidents.every((i: { service: string }) => i.service === "checkout")).toBe(true);
    const none = await analytics("from=2025-03-03&to=2025-03-10&service=nothing-here");
    expect(none.body).toMatchObject({ incidents: { opened: 0, resolved: 0 }, mttr_seconds: { mean: null, median: null }, top_incidents: [] });
  });

  it("counts events on the day they happen: a window of one day sees only that day", async () => {
    const { body } = await analytics("from=2025-03-04&to=2025-03-04");
    expect(body).toMatchObject({ incidents: { opened: 1, regressions: 1, resolved: 1 }, duplicates_prevented: 1, mttr_seconds: { mean: 7200 } });
    expect(body.trend.daily).toHaveLength(1);
  });

  it.each([
    ["from=never", "from"],
    ["from=2025-03-10&to=2025-03-03", "from"],
    ["from=2023-01-01&to=2025-03-03", "366"],
    ["to=2025-13-45", "to"],
  ])("refuses %s with a 400 naming the problem", async (q, word) => {
    const r = await analytics(q);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain(word);
  });

  it("is per tenant", async () => {
    const other = (await srv.client.tenant("other")).client;
    const r = await other.req("GET", "/api/v1/analytics?from=2025-03-03&to=2025-03-10");
    expect(r.body).toMatchObject({ incidents: { opened: 0 }, duplicates_prevented: 0, top_incidents: [], runbook_effectiveness: [] });
  });
});
