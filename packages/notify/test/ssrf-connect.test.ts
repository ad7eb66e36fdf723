import dns, { type LookupAddress } from "node:dns";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { makeEvent, Poison, type NotificationChannel } from "@ir/core";
import { notifyStage } from "../src/index";
import { fetchTarget } from "../src/ssrf";
import { refOf } from "../src/channel-ref";
import { fakePorts, incident, tenant } from "./fakes";
import { startReceiver, type HttpReceiver } from "./http-receiver";

/**
 * DNS rebinding: the send-time check (guardTarget) resolves a tenant's host and finds it public; the
 * connection resolves it again, and this time it is loopback. Simulated with two resolvers: the check's
 * (dns/promises) always answers a public address, the connection's (dns.lookup) answers 127.0.0.1.
 */
vi.mock("node:dns/promises", async (orig) => ({ ...(await orig<object>()), lookup: async () => [{ address: "93.184.215.14", family: 4 }] }));

const REBINDING = "rebind.attacker.test";
const realLookup = dns.lookup;
const rebind = () => {
  (dns as { lookup: unknown }).lookup = (host: string, opts: unknown, cb?: unknown) => {
    if (host !== REBINDING) return (realLookup as (...a: unknown[]) => void)(host, opts, cb);
    const done = (typeof opts === "function" ? opts : cb) as (err: null, a: string | LookupAddress[], f?: number) => void;
    return (opts as { all?: boolean })?.all ? done(null, [{ address: "127.0.0.1", family: 4 }]) : done(null, "127.0.0.1", 4);
  };
};

let internal: HttpReceiver;
beforeAll(async () => { internal = await startReceiver(); });
afterAll(async () => { await internal.close(); });
afterEach(() => {
  (dns as { lookup: unknown }).lookup = realLookup;
  internal.reset();
});

const port = () => new URL(internal.url).port;
const sendVia = (channel: NotificationChannel) =>
  makeEvent("notification.send", "tenant_1", "a1", { incident_id: "inc_1", change: "opened", channel: refOf(channel), payload: { text: "hello" } }, new Date().toISOString());
const portsFor = (channel: NotificationChannel, allowPrivateTargets: boolean) =>
  fakePorts({ tenant: tenant({ channels: [channel] }), incidents: [incident()], settings: { allowPrivateTargets } });

describe("where private targets are refused, the connection goes only to an address it checked", () => {
  it.each([
    { name: "a webhook", channel: (): NotificationChannel => ({ type: "webhook", url: `http://${REBINDING}:${port()}/latest/meta-data/` }) },
    { name: "a Slack webhook", channel: (): NotificationChannel => ({ type: "slack", webhook_url: `http://${REBINDING}:${port()}/services/T/B/x` }) },
  ])("$name whose DNS answer turns private after the check is not delivered", async ({ channel }) => {
    // prepare
    rebind();
    const target = channel();
    // act
    const outcome = await notifyStage(sendVia(target), portsFor(target, false)).then(() => "delivered", (e: Error) => e.message);
    // assess
    expect(outcome).toMatch(/unreachable \(ERR_PRIVATE_TARGET\)/);
    expect(internal.requests).toEqual([]);
  });

  it("refuses a private peer however it was named, without the send-time check", async () => {
    // act
    const outcome = await fetchTarget(false)(`http://127.0.0.1:${port()}/`, { method: "POST", body: "{}" }).catch((e: Error & { cause?: { code?: string } }) => e.cause?.code);
    // assess
    expect(outcome).toBe("ERR_PRIVATE_TARGET");
    expect(internal.requests).toEqual([]);
  });
});

describe("where private targets are allowed", () => {
  it("dead-letters a private receiver's refusal with its status, not with what it answered", async () => {
    // prepare
    internal.reply({ status: 403, body: "ami-id instance-id iam/security-credentials/ir-role" });
    const channel: NotificationChannel = { type: "webhook", url: `${internal.url}/hook` };
    // act
    const outcome = await notifyStage(sendVia(channel), portsFor(channel, true)).catch((e: unknown) => e);
    // assess
    expect(internal.requests).toHaveLength(1);
    expect(outcome).toBeInstanceOf(Poison);
    expect((outcome as Poison).message).toMatch(/^webhook answered 403/);
    expect((outcome as Poison).message).not.toMatch(/security-credentials/);
  });
});
