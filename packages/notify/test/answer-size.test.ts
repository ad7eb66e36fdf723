import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { makeEvent, type NotificationChannel } from "@ir/core";
import { notifyStage } from "../src/index";
import { refOf } from "../src/channel-ref";
import { bounded, MAX_ANSWER_BYTES } from "../src/ssrf";
import { settle } from "../src/delivery";
import { fakePorts, incident, tenant } from "./fakes";

/**
 * A tenant's endpoint answers with an endless body. The sender reads only what an error excerpt needs and
 * hangs up: read whole, the answer would exhaust the memory of the process that sends for every tenant.
 */
const ENDLESS = 64 * 1024 * 1024;
let server: Server | undefined;
afterEach(() => new Promise<void>((r) => { if (!server) return r(); server.closeAllConnections(); server.close(() => r()); server = undefined; }));

/** Streams `status` with up to 64 MB of body; resolves how many bytes were sent when the client hung up or it ended. */
const endless = async (status: number) => {
  let sent = 0;
  let hungUp!: (n: number) => void;
  const done = new Promise<number>((r) => (hungUp = r));
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(status, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(64 * 1024, "x");
      const pump = () => {
        while (sent < ENDLESS) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
        hungUp(sent);
      };
      res.on("close", () => hungUp(sent));
      pump();
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, sent: done };
};

const send = (channel: NotificationChannel) => notifyStage(
  makeEvent("notification.send", "tenant_1", "a1", { incident_id: "inc_1", change: "opened", channel: refOf(channel), payload: { text: "hello" } }, new Date().toISOString()),
  fakePorts({ tenant: tenant({ channels: [channel] }), incidents: [incident()], settings: { allowPrivateTargets: true } }),
);

describe("answers of tenants' endpoints are read only as far as they are needed", () => {
  it.each([
    ["a Slack webhook answering 200", (url: string): NotificationChannel => ({ type: "slack", webhook_url: `${url}/services/T/B/x` }), 200],
    ["a webhook answering 200", (url: string): NotificationChannel => ({ type: "webhook", url: `${url}/hook`, secret: "whsec_0123456789abcdef" }), 200],
  ])("%s with an endless body is delivered, and the rest of the body is never read", async (_, channel, status) => {
    const target = await endless(status);
    await send(channel(target.url));
    // The socket buffers hold some: far less than the 64 MB the endpoint had to send.
    expect(await target.sent).toBeLessThan(8 * 1024 * 1024);
  });

  it("a private Slack webhook answering 400 with an endless body is dead-lettered with its status alone, its body unread", async () => {
    const target = await endless(400);
    const err = await send({ type: "slack", webhook_url: `${target.url}/services/T/B/x` }).then(() => null, (e: Error) => e);
    // Loopback is private: a tenant must not read an internal service's answers in its dead letters (see fetchTarget).
    expect(err?.message).toMatch(/^slack answered 400: ?$/);
    expect(await target.sent).toBeLessThan(8 * 1024 * 1024);
  });

  it("a public endpoint's endless error answer is read to 4 KB, and its excerpt is short", async () => {
    // Public hosts cannot be reached from here: the bound is checked on the answer fetchTarget would wrap.
    let pulled = 0;
    const chunk = new TextEncoder().encode("y".repeat(1000));
    const endlessBody = new ReadableStream<Uint8Array>({ pull(c) { pulled += chunk.byteLength; c.enqueue(chunk); } });
    const body = await bounded(new Response(endlessBody, { status: 400 })).text();
    expect(body).toHaveLength(MAX_ANSWER_BYTES);
    expect(pulled).toBeLessThanOrEqual(MAX_ANSWER_BYTES + 2 * chunk.byteLength);
    const err = (() => { try { settle("slack", { status: 400, retryAfter: null, body }, new Date()); } catch (e) { return e as Error; } })();
    expect(err?.message).toMatch(/^slack answered 400: y+/);
    expect(err!.message.length).toBeLessThan(250);
  });
});
