import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startServer, type Client } from "../support/embedded";
import { until } from "../support/until";

/**
 * A tenant must be able to verify the webhooks it gets with what the API showed it: a webhook channel PUT
 * without `secret` gets one, shown once in the PUT's answer; the receiver checks X-IR-Signature the way the
 * README says (HMAC-SHA256 over "<X-IR-Timestamp>.<raw body>", hex, as "v1=<hex>").
 */

interface Hit { path: string; headers: IncomingHttpHeaders; body: string }

/** The README's recipe, nothing from the codebase. */
const verifies = (hit: Hit, secret: string) => {
  const ts = String(hit.headers["x-ir-timestamp"]);
  const expected = `v1=${createHmac("sha256", secret).update(`${ts}.${hit.body}`).digest("hex")}`;
  return String(hit.headers["x-ir-signature"]).split(",").includes(expected) && Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
};

describe("webhook signing secrets", () => {
  const hits: Hit[] = [];
  let hook: Server;
  let hookUrl: string;
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  let n = 0;

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => { hits.push({ path: req.url ?? "", headers: req.headers, body }); res.end("ok"); });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    srv = await startServer();
    api = (await srv.client.tenant("signed", { plan: "enterprise" })).client;
  });
  afterAll(async () => {
    await srv.stop();
    hook.closeAllConnections();
    await new Promise((r) => hook.close(r));
  });

  /** Reports a new problem and returns the webhook request it caused at `path`. */
  const deliveredTo = async (path: string): Promise<Hit> => {
    const before = hits.filter((h) => h.path === path).length;
    const r = await api.report(`Disk /var is 97% full on host web-${n} problem ${"abcdefghij"[n++]}`, `svc-${n}`, { severity: "HIGH" });
    expect(r.status).toBe(200);
    return until(() => hits.filter((h) => h.path === path)[before]);
  };

  it("shows a generated secret once, in the PUT's answer, and signs with it", async () => {
    // act
    const put = await api.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: `${hookUrl}/a` }] });
    const got = await api.req("GET", "/api/v1/notifications");
    const hit = await deliveredTo("/a");
    // assess
    expect(put.status).toBe(200);
    const secret: string = put.body.channels[0].secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(got.body)).not.toContain(secret);
    expect(got.body.channels[0].secret).toBe("****");
    expect(verifies(hit, secret)).toBe(true);
    expect(verifies(hit, "some-other-secret-0000")).toBe(false);
  });

  it("keeps a channel's secret when the same routing is PUT again, and does not show it again", async () => {
    // prepare
    const first = await api.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: `${hookUrl}/b` }] });
    const secret: string = first.body.channels[0].secret;
    // act: the same webhook again, next to a new one
    const again = await api.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: `${hookUrl}/b` }, { type: "webhook", url: `${hookUrl}/c` }] });
    const [b, c] = await Promise.all([deliveredTo("/b"), until(() => hits.find((h) => h.path === "/c"))]);
    // assess
    expect(again.body.channels[0].secret).toBe("****");
    const other: string = again.body.channels[1].secret;
    expect(other).toMatch(/^whsec_/);
    expect(other).not.toBe(secret);
    expect(verifies(b, secret)).toBe(true);
    expect(verifies(c, other)).toBe(true);
  });

  it("signs with the tenant's own secret when the channel names one, and never echoes it", async () => {
    // act
    const put = await api.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: `${hookUrl}/d`, secret: "my-own-secret-0123456789" }] });
    const hit = await deliveredTo("/d");
    // assess
    expect(put.body.channels[0].secret).toBe("****");
    expect(verifies(hit, "my-own-secret-0123456789")).toBe(true);
  });
});
