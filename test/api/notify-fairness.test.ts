import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { createServer as createTcp, type AddressInfo, type Socket } from "node:net";
import { pool, startServer, type Client } from "../support/embedded";
import { until } from "../support/until";

/**
 * One tenant's webhook accepts connections and never answers: each of its sends holds a send slot until the
 * request times out (10 s), and is retried for hours. Another tenant's page must not wait behind them.
 */
describe("notifications: one tenant's hanging receiver", () => {
  const held: Socket[] = [];
  /** When the first hanging send connected: its 10 s timeout, the earliest a slot frees, counts from about then. */
  let firstHeldAt = 0;
  const blackhole = createTcp((s) => { firstHeldAt ||= Date.now(); held.push(s); s.on("error", () => {}); });
  let pagedAt = 0;
  const pd: Server = createServer((req, res) => { req.resume(); req.on("end", () => { pagedAt ||= Date.now(); res.writeHead(202).end("{}"); }); });
  let srv: Awaited<ReturnType<typeof startServer>>;
  let noisy: Client;
  let victim: Client;

  beforeAll(async () => {
    await new Promise<void>((r) => blackhole.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => pd.listen(0, "127.0.0.1", r));
    srv = await startServer(undefined, { IR_PAGERDUTY_EVENTS_URL: `http://127.0.0.1:${(pd.address() as AddressInfo).port}/v2/enqueue` });
    noisy = (await srv.client.tenant("noisy", { plan: "professional" })).client;
    victim = (await srv.client.tenant("victim", { plan: "professional" })).client;
    const hook = `http://127.0.0.1:${(blackhole.address() as AddressInfo).port}/hook`;
    expect((await noisy.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: hook }] })).status).toBe(200);
    expect((await victim.req("PUT", "/api/v1/notifications", { channels: [{ type: "pagerduty", routing_key: "R0UTINGKEY0123456789" }] })).status).toBe(200);
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    blackhole.close();
    pd.close();
    await srv.stop();
  });

  it("does not hold back another tenant's page", async () => {
    // prepare: more hanging sends than there are send slots (16), all in flight or queued
    await pool(Array.from({ length: 24 }, (_, i) => i), 8, (i) => noisy.report(`Disk full on volume ${i}`, `svc-${i}`, { severity: "HIGH" }));
    await until(() => held.length >= 4, 5_000);

    // act
    expect((await victim.report("Payment gateway returns 502", "payments", { severity: "CRITICAL" })).status).toBe(200);

    // assess: paged a second or more before the first hanging send's timeout could free a slot, which would page
    // the victim however unfair the sharing; about 8 s from the report, less whatever the noisy reports took
    const firstSlotFrees = firstHeldAt + 10_000;
    await until(() => pagedAt, firstSlotFrees - 1_000 - Date.now()).catch(() => undefined);
    expect(pagedAt ? firstSlotFrees - pagedAt : -Infinity).toBeGreaterThan(1_000);
  });
});
