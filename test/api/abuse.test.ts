import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "node:http";
import { rmSync } from "node:fs";
import { makeEvent } from "@ir/core";
import { startEmbedded } from "@ir/runtime-embedded";
import { ADMIN_KEY, Client, pool, startServer, tempDir } from "../support/embedded";
import { takeClock } from "../support/clock";
import { until } from "../support/until";
import { startReceiver, type HttpReceiver } from "../../packages/notify/test/http-receiver";

describe("ingest rate limit: a token bucket per tenant, 429 with Retry-After", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => { srv = await startServer(); });
  afterAll(() => srv.stop());

  it("lets a free tenant burst 100 alarms, refuses the rest with 429 + Retry-After, and refills at 50 a second", async () => {
    const clock = takeClock(srv.ports, Date.now()); // frozen: no refill until the test says so
    try {
      const noisy = (await srv.client.tenant("noisy")).client;
      const quiet = (await srv.client.tenant("quiet")).client;
      const answers = await pool(Array.from({ length: 150 }, (_, i) => i), 16, (i) => noisy.report(`upstream returned 503 for GET /orders/${i}`, "gateway", {}, ""));
      expect(answers.filter((a) => a.status === 202)).toHaveLength(100);
      const refused = answers.filter((a) => a.status === 429);
      expect(refused).toHaveLength(50);
      for (const r of refused) {
        expect(r.body.error.code).toBe("rate_limited");
        expect(r.body.error.message).toContain("plan free allows 50 alarms a second (bursts of 100)");
        expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      }
      // The same endpoint for another tenant is unaffected.
      expect((await quiet.report("upstream returned 503 for GET /orders/1", "gateway", {}, "")).status).toBe(202);
      // Webhooks are charged per alert, on the same bucket.
      expect((await noisy.req("POST", "/api/v1/ingest/alertmanager", { version: "4", status: "firing", alerts: [{ status: "firing", labels: { alertname: "X", service: "s" }, annotations: {}, startsAt: "2031-01-01T00:00:00Z" }] })).status).toBe(429);

      clock.advance(1_000);
      const later = await pool(Array.from({ length: 60 }, (_, i) => i), 8, (i) => noisy.report(`upstream returned 503 for GET /orders/${i}`, "gateway", {}, ""));
      expect(later.filter((a) => a.status === 202)).toHaveLength(50);
    } finally {
      srv.ports.clock = { now: () => new Date() };
    }
  });

  it("holds an enterprise tenant to the rate agreed at its creation, not the plan's", async () => {
    const clock = takeClock(srv.ports, Date.now());
    try {
      const slow = (await srv.client.tenant("agreed-rate", { plan: "enterprise", ingest_per_second: 3 })).client;
      const answers = await pool(Array.from({ length: 10 }, (_, i) => i), 4, (i) => slow.report(`upstream returned 503 for GET /orders/${i}`, "gateway", {}, ""));
      expect(answers.filter((a) => a.status === 202)).toHaveLength(6);
      const refused = answers.filter((a) => a.status === 429);
      expect(refused).toHaveLength(4);
      expect(refused[0].body.error.message).toContain("plan enterprise allows 3 alarms a second (bursts of 6)");
      clock.advance(1_000);
      expect((await slow.report("upstream returned 503 for GET /orders/1", "gateway", {}, "")).status).toBe(202);
    } finally {
      srv.ports.clock = { now: () => new Date() };
    }
  });

  it("refuses a body over 256 KB with 413 whether or not it declares its length", async () => {
    const api = (await srv.client.tenant("big")).client;
    const big = JSON.stringify({ error: "x".repeat(300 * 1024), service: "s" });
    expect((await api.req("POST", "/api/v1/incidents", big)).status).toBe(413);
    // Chunked, no Content-Length: the server counts while reading and stops early.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${srv.url}/api/v1/incidents`, { method: "POST", headers: { "x-api-key": api.key!, "transfer-encoding": "chunked" } }, (res) => { res.resume(); resolve(res.statusCode!); });
      req.on("error", reject);
      for (let i = 0; i < 40; i++) req.write("x".repeat(10 * 1024));
      req.end();
    });
    expect(status).toBe(413);
  });
});

describe("logs: user text cannot forge a line, and no secret is ever written", () => {
  const lines: string[] = [];
  let written = "";
  const dir = tempDir("logs");
  let app: Awaited<ReturnType<typeof startEmbedded>>;
  let client: Client;
  let hook: HttpReceiver, pd: HttpReceiver, slack: HttpReceiver;

  beforeAll(async () => {
    [hook, pd, slack] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    app = await startEmbedded({
      dataDir: dir, port: 0, adminKey: ADMIN_KEY, LOG_LEVEL: "trace", IR_PAGERDUTY_EVENTS_URL: `${pd.url}/v2/enqueue`,
      logDestination: { write: (s: string) => { written += s; lines.push(...s.split("\n").filter(Boolean)); } },
    });
    client = new Client(app.url);
  });
  afterAll(async () => {
    await app.close();
    await Promise.all([hook.close(), pd.close(), slack.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const INJECT = '\n{"level":60,"msg":"INJECTED","time":1}\n';

  it("keeps hostile text inside JSON strings: one event, one line, whatever the text holds", async () => {
    const t = await client.tenant("inject", { plan: "professional" });
    // A message published straight to the ingest queue is a client's bytes, and an invalid one is logged with its
    // reason, which quotes the offending field's path: here a metadata key, too long to be valid, that forges a line.
    const now = new Date().toISOString();
    const body = JSON.stringify({ error: "disk failure", service: "svc", metadata: { [`k${INJECT}${"x".repeat(200)}`]: 1 } });
    await app.ports.bus.publish([makeEvent("source.raw", "", "sqs:forged", { body, attributes: { "ir-api-key": t.api_key }, received_at: now }, now)]);
    // The customer's webhook answers 400 with a body of its choosing, which the notifier would quote in its reason.
    hook.reply({ status: 400, body: `bad request${INJECT}\r\n{"level":60}` });
    expect((await t.client.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: `${hook.url}/in` }] })).status).toBe(200);
    expect((await t.client.report("disk failure", "svc")).status).toBe(200);
    await hook.received(1);
    const quoted = await until(() => lines.find((l) => l.includes("invalid report: metadata.k")));
    await until(() => lines.some((l) => l.includes("notification refused")));

    // The hostile text did reach the log, escaped inside the reason's string.
    expect(quoted).toContain('\\n{\\"level\\":60,\\"msg\\":\\"INJECTED\\"');
    expect(JSON.parse(quoted).reason).toContain(INJECT);
    expect(written.endsWith("\n")).toBe(true);
    const parsed = lines.map((l) => JSON.parse(l) as { level: number; msg?: string });
    expect(parsed.filter((p) => p.level === 60 || p.msg === "INJECTED")).toEqual([]);
    // The webhook's answer does not reach the log at all: a receiver at a private address, as this one is, has
    // its status logged but not its body (see fetchTarget in @ir/notify).
    const refused = lines.find((l) => l.includes("notification refused"))!;
    expect(refused).toContain("webhook answered 400");
    expect(refused).not.toContain("bad request");
  });

  it("writes no API key, admin key, routing key, webhook URL or signing secret in any line", async () => {
    const start = lines.length;
    const t = await client.tenant("secretive", { plan: "professional" });
    const extra = await t.client.req("POST", "/api/v1/keys", { label: "ci" });
    const rotated = await t.client.req("POST", `/api/v1/keys/${extra.body.key_id}/rotate`, { overlap_seconds: 5 });
    const secrets = {
      tenantKey: t.api_key, extraKey: extra.body.api_key, rotatedKey: rotated.body.api_key, admin: ADMIN_KEY,
      routing: "R0UTINGSECRET0123456789abcdef", slackPath: "T000SECRET/B000SECRET/XXXXSLACKSECRETXXXX", hookPath: "hooks/SECRETHOOKPATH42", signing: "SIGNINGSECRET-0123456789abcdef",
    };
    const put = await t.client.req("PUT", "/api/v1/notifications", {
      channels: [
        { type: "pagerduty", routing_key: secrets.routing },
        { type: "slack", webhook_url: `${slack.url}/services/${secrets.slackPath}` },
        { type: "webhook", url: `${hook.url}/${secrets.hookPath}`, secret: secrets.signing },
      ],
    });
    expect(put.status).toBe(200);
    // One delivery fails first (logged with its target), then all three go through.
    slack.reply({ status: 500, body: "try later" });
    const before = [pd.requests.length, slack.requests.length, hook.requests.length];
    const r = await t.client.report("replication lag above 30s on db-7", "db", { severity: "CRITICAL" });
    expect(r.body.status).toBe("new");
    await until(() => pd.requests.length > before[0] && slack.requests.length > before[1] + 1 && hook.requests.length > before[2]);
    await until(() => lines.slice(start).filter((l) => l.includes("notification sent")).length >= 3);
    // A bad request carrying the key in a header is logged too (as a 4xx), without the header.
    await client.req("POST", "/api/v1/incidents", "{not json", { "x-api-key": t.api_key, authorization: `Bearer ${t.api_key}` });

    const log = lines.slice(start).join("\n");
    expect(log).toContain("notification deferred");
    for (const [name, secret] of Object.entries(secrets)) expect(log.includes(secret), `${name} appears in the log`).toBe(false);
    // Not just the whole key: nothing past the public prefix either.
    for (const key of [secrets.tenantKey, secrets.extraKey, secrets.rotatedKey]) expect(log.includes(key.slice(14, 30))).toBe(false);
  });
});
