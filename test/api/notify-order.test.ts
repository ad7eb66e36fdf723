import { until } from "../support/until";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startServer, type Client } from "../support/embedded";

/**
 * A PagerDuty stand-in that is down until told otherwise, and logs every attempt. Every send retries on its own
 * backoff: after an outage, a trigger deep in its backoff must still reach PagerDuty before the resolve routed
 * after it, or the alert stays open (and pages) for a resolved incident.
 */
function flakyPagerDuty() {
  const attempts: Array<{ action: string; ok: boolean }> = [];
  let down = true;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      attempts.push({ action: JSON.parse(body).event_action as string, ok: !down });
      if (down) { res.writeHead(503).end("unavailable"); return; }
      res.writeHead(202, { "content-type": "application/json" }).end('{"status":"success"}');
    });
  });
  return {
    attempts,
    server,
    up: () => { down = false; },
    listen: () => new Promise<string>((r) => server.listen(0, "127.0.0.1", () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
  };
}

describe("PagerDuty order through the embedded pipeline", () => {
  const pd = flakyPagerDuty();
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  beforeAll(async () => {
    const url = await pd.listen();
    srv = await startServer(undefined, { IR_PAGERDUTY_EVENTS_URL: `${url}/v2/enqueue` });
    api = (await srv.client.tenant("pager", { plan: "professional" })).client;
    expect((await api.req("PUT", "/api/v1/notifications", { channels: [{ type: "pagerduty", routing_key: "R0UTINGKEY0123456789" }] })).status).toBe(200);
  });
  afterAll(async () => { await srv.stop(); pd.server.close(); });

  it("delivers the trigger before the resolve once an outage ends, and holds the resolve back meanwhile", async () => {
    // prepare: the trigger fails three times, so its next attempt is seconds away
    const out = await api.report("Database connection pool exhausted: 100 active", "orders", { severity: "HIGH" });
    const incident = out.body.incident_id as string;
    await until(() => pd.attempts.filter((a) => a.action === "trigger").length >= 3);
    const triggersBefore = pd.attempts.filter((a) => a.action === "trigger").length;
    // act: resolved during the outage; the outage ends at the first attempt after that (a resolve's, unless
    // it waits for the trigger, else the trigger's next one)
    await api.req("POST", `/api/v1/incidents/${incident}/resolve`, { resolution: "raised pool size", resolved_by: "sre" });
    await until(() => pd.attempts.some((a) => a.action === "resolve") || pd.attempts.filter((a) => a.action === "trigger").length > triggersBefore, 30_000);
    pd.up();
    await until(() => pd.attempts.some((a) => a.ok && a.action === "trigger") && pd.attempts.some((a) => a.ok && a.action === "resolve"), 60_000);
    // assess
    expect(pd.attempts.filter((a) => a.ok).map((a) => a.action)).toEqual(["trigger", "resolve"]);
    const firstDelivered = pd.attempts.findIndex((a) => a.ok);
    expect(pd.attempts.slice(0, firstDelivered).map((a) => a.action)).not.toContain("resolve");
  }, 90_000);
});
