import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO, startServer, tempDir, type Client } from "../support/embedded";
import { takeClock } from "../support/clock";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
/** README's picture is refreshed on request (IR_SCREENSHOT=docs), so that a test run leaves the checkout as it found it. */
const SCREENSHOT = process.env.IR_SCREENSHOT ? join(REPO, process.env.IR_SCREENSHOT, "dashboard.png") : join(tempDir("shot"), "dashboard.png");
const DAY = 86_400_000;
const MIN = 60_000;
const XSS = `<img src=x onerror="document.title='owned'"> Template render failed`;

interface Analytics {
  from: string; to: string;
  incidents: { opened: number; regressions: number; resolved: number };
  alarms: number; duplicates_prevented: number; time_saved_minutes: number;
  mttr_seconds: { mean: number | null; median: number | null };
  top_incidents: Array<{ incident_id: string; occurrences: number }>;
  runbook_effectiveness: Array<{ runbook_id: string; title: string }>;
}

const PROBLEMS = [
  { service: "payment-processor", error: (i: number) => `Task timed out after ${30 + (i % 90) / 100} seconds`, runbook: "rb_global_lambda-timeout", fix: "raised the timeout to 60s", every: 3 },
  { service: "cart", error: (i: number) => `Error: connect ECONNREFUSED 10.0.3.${i % 250}:6379`, runbook: "rb_global_redis-connection-errors", fix: "failed over the redis primary", every: 5 },
  { service: "checkout", error: (i: number) => `HTTP 503 rate 5.${i % 10}% on /api/checkout over 5 minutes`, runbook: null, fix: "rolled back the last release of checkout", every: 4 },
  { service: "orders-db", error: (i: number) => `Disk /var/lib/postgresql is 9${i % 10}% full on db-7`, runbook: null, fix: "vacuumed bloated tables", every: 6 },
  { service: "search", error: (i: number) => `Back-off restarting failed container indexer in pod search-indexer-${i}`, runbook: "rb_global_k8s-crashloopbackoff", fix: "fixed the config map", every: 7 },
  { service: "edge", error: (i: number) => `Certificate for api.acme.io expires in ${1 + (i % 9)} days`, runbook: "rb_global_tls-certificate-expiry", fix: "renewed the certificate", every: 11 },
];
const SEED_DAYS = 24;

/**
 * Three weeks of an on-call rotation: recurring problems (storms of duplicates, some still open the
 * next day), fixes by hand and by runbook, problems that come back after a fix (regressions), and one
 * fixed by hand the same way often enough to get a suggested runbook. Laid out on a moved clock, which
 * is given back afterwards; a small fixed-seed generator keeps every run identical.
 */
async function seed(api: Client, ports: Parameters<typeof takeClock>[0]) {
  const real = ports.clock;
  let rand = 42;
  const next = (n: number) => { rand = (rand * 1_103_515_245 + 12_345) % 2 ** 31; return rand % n; };
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const start = today - SEED_DAYS * DAY;
  const clock = takeClock(ports, start);
  let pending: Array<{ id: string; at: number; p: (typeof PROBLEMS)[number] }> = [];
  let n = 0;
  for (let d = 0; d < SEED_DAYS; d++) {
    const morning = start + d * DAY + 7 * 60 * MIN;
    // Fixes that landed overnight come first.
    for (const r of pending.filter((x) => x.at < morning).sort((a, b) => a.at - b.at)) {
      clock.set(r.at);
      const body = { resolution: r.p.fix, resolved_by: "oncall@acme.io", ...(r.p.runbook ? { runbook_id: r.p.runbook } : {}) };
      expect((await api.req("POST", `/api/v1/incidents/${r.id}/resolve`, body)).status).toBe(200);
    }
    pending = pending.filter((x) => x.at >= morning);
    for (const [k, p] of PROBLEMS.entries()) {
      if ((d + k) % p.every !== 0 && next(9) !== 0) continue;
      clock.set(morning + k * 50 * MIN + next(40) * MIN);
      const r = await api.report(p.error(n++), p.service, { severity: k % 3 === 0 ? "HIGH" : "MEDIUM" });
      expect(r.status).toBe(200);
      // A storm of the same problem: duplicates the dedup folds in.
      for (let dup = next(5); dup > 0; dup--) {
        clock.advance((1 + next(6)) * MIN);
        expect((await api.report(p.error(n++), p.service)).body.incident_id).toBe(r.body.incident_id);
      }
      if (!pending.some((x) => x.id === r.body.incident_id)) pending.push({ id: r.body.incident_id, at: clock.now().getTime() + (15 + next(k === 3 ? 1500 : 240)) * MIN, p });
    }
  }
  clock.set(today - 2 * 60 * MIN);
  const escaped = await api.report(XSS, "frontend", { severity: "LOW" });
  ports.clock = real;
  return { escaped: escaped.body.incident_id as string };
}

describe("the dashboard in Chromium against a real embedded server", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  let key: string;
  let browser: Browser;
  let page: Page;
  let seeded: { escaped: string };
  const browserErrors: string[] = [];

  beforeAll(async () => {
    execFileSync(process.execPath, ["--import", "tsx", join(REPO, "packages/dashboard/build.ts")], { cwd: REPO, stdio: "ignore" });
    srv = await startServer();
    const tenant = await srv.client.tenant("dash", { plan: "starter" });
    api = tenant.client;
    key = tenant.api_key;
    seeded = await seed(api, srv.ports);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
      env: { ...process.env, HOME: tempDir("chromium-home") },
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    page.on("console", (m) => { if (m.type() === "error") browserErrors.push(m.text()); });
    page.on("pageerror", (e) => browserErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  const settled = () => page.locator('main#app[aria-busy="false"]').waitFor();

  it("asks for a key, refuses a wrong one, and opens the overview with the right one", async () => {
    await page.goto(`${srv.url}/dashboard`);
    await page.getByLabel("API key").fill("ir_live_wrong");
    await page.getByRole("button", { name: "Open dashboard" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 10_000 }).toContain("not accepted");

    const analyticsResponse = page.waitForResponse((r) => r.url().includes("/api/v1/analytics"));
    await page.getByLabel("API key").fill(key);
    await page.getByRole("button", { name: "Open dashboard" }).click();
    expect((await analyticsResponse).status()).toBe(200);
    await page.locator('[data-stat="incidents_opened"]').waitFor();
  });

  it("shows the figures /api/v1/analytics gives for the same window", async () => {
    await settled();
    const range = (await page.locator(".filters .muted").textContent())!;
    const [from, to] = range.match(/\d{4}-\d{2}-\d{2}/g)!;
    const a = (await api.req<Analytics>("GET", `/api/v1/analytics?from=${from}&to=${to}`)).body;
    expect(a.incidents.opened).toBeGreaterThan(10);
    expect(a.duplicates_prevented).toBeGreaterThan(0);
    expect(a.incidents.regressions).toBeGreaterThan(0);

    const stat = async (name: string) => {
      const el = page.locator(`[data-stat="${name}"]`);
      return { value: await el.getAttribute("data-value"), text: (await el.locator(".stat-value").textContent())! };
    };
    const counts: Array<[string, number]> = [
      ["incidents_opened", a.incidents.opened], ["alarms", a.alarms], ["duplicates_prevented", a.duplicates_prevented],
      ["regressions", a.incidents.regressions], ["resolved", a.incidents.resolved],
    ];
    for (const [name, n] of counts) expect(await stat(name), name).toEqual({ value: String(n), text: n.toLocaleString("en-US") });
    expect((await stat("mttr_mean")).value).toBe(String(a.mttr_seconds.mean));
    expect((await stat("mttr_median")).value).toBe(String(a.mttr_seconds.median));
    expect((await stat("mttr_mean")).text).toMatch(/^\d+[smhd]/);
    expect((await stat("time_saved_minutes")).value).toBe(String(a.time_saved_minutes));

    const rows = page.locator("table.top-incidents tbody tr");
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-incident-id")))).toEqual(a.top_incidents.map((i) => i.incident_id));
    expect(await rows.locator("td[data-occurrences]").evaluateAll((tds) => tds.map((td) => Number(td.getAttribute("data-occurrences"))))).toEqual(a.top_incidents.map((i) => i.occurrences));
    expect(await page.locator("table.runbooks tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-runbook-id")))).toEqual(a.runbook_effectiveness.map((r) => r.runbook_id));

    // Four uPlot charts, drawn.
    await expect.poll(() => page.locator(".chart canvas").count(), { timeout: 10_000 }).toBe(4);
    for (const name of ["incidents", "duplicates", "mttr-daily", "mttr-weekly"]) await page.locator(`[data-chart="${name}"] canvas`).waitFor();

    // Text from alarms is shown as text, never parsed as HTML.
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.title()).toBe("Incident Responder");

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  it("opens an incident with its history and recommendations, and links to what it regressed from", async () => {
    const regression = (await api.req("GET", "/api/v1/incidents?limit=200")).body.incidents.find((i: { regression_of: string | null }) => i.regression_of);
    expect(regression).toBeTruthy();
    const doc = (await api.req("GET", `/api/v1/incidents/${regression.incident_id}`)).body;

    await page.goto(`${srv.url}/dashboard#/incidents/${regression.incident_id}`);
    await page.locator(`section.incident[data-incident-id="${regression.incident_id}"]`).waitFor();
    expect(await page.locator(".incident-title").textContent()).toBe(doc.error_message);
    expect(await page.locator('[data-field="occurrences"]').textContent()).toBe(String(doc.occurrences));
    expect(await page.locator("table.history tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-event")))).toEqual(doc.history.map((h: { event: string }) => h.event));
    expect(await page.locator("ol.recommended li").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-runbook-id")))).toEqual(doc.recommended_runbooks.map((r: { runbook_id: string }) => r.runbook_id));
    expect(await page.locator("ul.recommendations li").count()).toBe(doc.recommendations.length);
    expect(await page.locator("ul.similar li").count()).toBe(doc.similar_resolutions.length);
    expect(doc.similar_resolutions.length).toBeGreaterThan(0);

    await page.getByRole("link", { name: doc.regression_of, exact: true }).first().click();
    await page.locator(`section.incident[data-incident-id="${doc.regression_of}"]`).waitFor();
    expect(await page.locator(".facts").textContent()).toContain("Resolution");
  });

  it("shows hostile alarm text literally", async () => {
    await page.goto(`${srv.url}/dashboard#/incidents/${seeded.escaped}`);
    await page.locator(`section.incident[data-incident-id="${seeded.escaped}"]`).waitFor();
    expect(await page.locator(".incident-title").textContent()).toBe(XSS);
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.title()).toBe("Incident Responder");
  });

  it("opens a runbook linked from a notification and lists incidents", async () => {
    await page.goto(`${srv.url}/dashboard#/runbooks/rb_global_lambda-timeout`);
    await page.locator('section.runbook[data-runbook-id="rb_global_lambda-timeout"]').waitFor();
    expect(await page.locator("section.runbook pre").textContent()).toContain("## ");

    await page.getByRole("link", { name: "Incidents", exact: true }).click();
    await page.locator("table.incidents tbody tr").first().waitFor();
    const listed = (await api.req("GET", "/api/v1/incidents?limit=50")).body.incidents.map((i: { incident_id: string }) => i.incident_id);
    expect(await page.locator("table.incidents tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-incident-id")))).toEqual(listed);
  });

  it("accepts a suggested runbook drafted from fixes by hand", async () => {
    const [s] = (await api.req("GET", "/api/v1/runbooks/suggestions")).body.suggestions;
    expect(s).toBeTruthy();
    await page.goto(`${srv.url}/dashboard#/`);
    const card = page.locator(`.suggestion[data-suggestion-id="${s.suggestion_id}"]`);
    await card.getByRole("button", { name: "Accept" }).click();
    await card.getByRole("link", { name: "Runbook created" }).click();
    await page.locator("section.runbook").waitFor();
    const id = await page.locator("section.runbook").getAttribute("data-runbook-id");
    expect((await api.req("GET", `/api/v1/runbooks/${id}`)).body).toMatchObject({ title: s.title, created_by: "suggestion" });
  });

  it("logged no errors and no Content-Security-Policy violations", () => {
    // The wrong key's 401 is the one expected failure.
    expect(browserErrors.filter((p) => !p.includes("401"))).toEqual([]);
  });
});
