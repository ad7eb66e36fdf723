import { until } from "../support/until";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startServer, type Client } from "../support/embedded";

/** A local PagerDuty Events API v2 stand-in that records what it receives. */
function receiver() {
  const got: any[] = [];
  let failNext = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (failNext > 0) { failNext--; res.writeHead(429, { "retry-after": "1" }).end(); return; }
      got.push(JSON.parse(body));
      res.writeHead(202, { "content-type": "application/json" }).end('{"status":"success"}');
    });
  });
  return { got, server, failTimes: (n: number) => (failNext = n), listen: () => new Promise<string>((r) => server.listen(0, "127.0.0.1", () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))) };
}

describe("notifications through the embedded pipeline", () => {
  const pd = receiver();
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  beforeAll(async () => {
    const url = await pd.listen();
    srv = await startServer(undefined, { IR_PAGERDUTY_EVENTS_URL: `${url}/v2/enqueue` });
    api = (await srv.client.tenant("pager", { plan: "professional" })).client;
    const put = await api.req("PUT", "/api/v1/notifications", { channels: [{ type: "pagerduty", routing_key: "R0UTINGKEY0123456789" }] });
    expect(put.status).toBe(200);
    expect(JSON.stringify(put.body)).not.toContain("R0UTINGKEY0123456789");
  });
  afterAll(async () => { await srv.stop(); pd.server.close(); });

  it("pages once for an incident however many duplicates, retries a 429, and resolves with the same dedup_key", async () => {
    pd.failTimes(1);
    const outcomes = [];
    for (let i = 0; i < 10; i++) outcomes.push(await api.report(`Database connection pool exhausted: ${100 + i} active, request ${i}abc`, "orders", { severity: "HIGH" }));
    const incident = outcomes[0].body.incident_id;
    expect(new Set(outcomes.map((o) => o.body.incident_id))).toEqual(new Set([incident]));
    await srv.pump.idle();
    await until(() => pd.got.length >= 1);
    await srv.pump.idle();
    const triggers = pd.got.filter((e) => e.event_action === "trigger");
    expect(triggers).toHaveLength(1);
    expect(triggers[0]).toMatchObject({ routing_key: "R0UTINGKEY0123456789", payload: { severity: "error", source: expect.any(String) } });

    await api.req("POST", `/api/v1/incidents/${incident}/resolve`, { resolution: "raised pool size", resolved_by: "sre" });
    await until(() => pd.got.some((e) => e.event_action === "resolve"));
    const resolve = pd.got.find((e) => e.event_action === "resolve");
    expect(resolve.dedup_key).toBe(triggers[0].dedup_key);
  });

  it("keeps the stored secrets when settings read with GET are sent back, and refuses a masked secret it cannot place", async () => {
    const t = await srv.client.tenant("round-trip", { plan: "professional" });
    const slack = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX";
    const hook = { type: "webhook", url: "http://127.0.0.1:9/hooks/incident-responder", secret: "whsec_0123456789abcdef" };
    await t.client.req("PUT", "/api/v1/notifications", { channels: [{ type: "slack", webhook_url: slack }, { type: "pagerduty", routing_key: "R0UTINGKEY0123456789" }, hook] });
    const shown = (await t.client.req("GET", "/api/v1/notifications")).body;
    expect(JSON.stringify(shown)).not.toContain("R0UTINGKEY0123456789");
    expect(JSON.stringify(shown)).not.toContain("whsec_");

    const back = await t.client.req("PUT", "/api/v1/notifications", { ...shown, min_severity: "HIGH" });
    expect(back.status).toBe(200);
    const stored = (await srv.ports.tenants.get(t.tenant_id))!.settings.notifications;
    expect(stored).toEqual({ channels: [{ type: "slack", webhook_url: slack }, { type: "pagerduty", routing_key: "R0UTINGKEY0123456789" }, hook], min_severity: "HIGH" });

    for (const [channel, named] of [[{ type: "pagerduty", routing_key: "****6789x" }, "channels[0] (pagerduty)"], [{ ...hook, url: "http://127.0.0.1:9/other", secret: "****" }, "channels[0] (webhook)"]] as const) {
      const stranger = await t.client.req("PUT", "/api/v1/notifications", { channels: [channel] });
      expect(stranger).toMatchObject({ status: 400, body: { error: { code: "masked_secret", message: expect.stringContaining(named) } } });
    }
    expect((await srv.ports.tenants.get(t.tenant_id))!.settings.notifications).toEqual(stored);
  });
});
