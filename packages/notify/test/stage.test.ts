import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RetryLater, makeEvent, type NotificationChannel, type NotificationSend } from "@ir/core";
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, dedupKey, notifyStage, verifyWebhookSignature } from "../src/index";
import { WEBHOOK_SECRET, fakePorts, incident, tenant, type FakePorts } from "./fakes";
import { startReceiver, type HttpReceiver, type Received } from "./http-receiver";
import { changed, runStage, sendsTo, type Run } from "./run-stage";
import { refOf } from "../src/channel-ref";

const ROUTING_KEY = "R0UT1NGKEYfedcba9876543210abcdef";
const CHANNEL_SECRET = "chsec_0123456789abcdefghij";

let slack: HttpReceiver;
let pagerduty: HttpReceiver;
let webhook: HttpReceiver;
let ports: FakePorts;

const slackUrl = () => `${slack.url}/services/T000/B000/slacksecretpath0001`;
const channels = (): NotificationChannel[] => [
  { type: "slack", webhook_url: slackUrl() },
  { type: "pagerduty", routing_key: ROUTING_KEY },
  { type: "webhook", url: `${webhook.url}/hooks/ir?token=webhooktoken42` },
];

beforeAll(async () => {
  [slack, pagerduty, webhook] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([slack.close(), pagerduty.close(), webhook.close()]);
});
beforeEach(() => {
  for (const r of [slack, pagerduty, webhook]) r.reset();
  ports = fakePorts({
    tenant: tenant({ channels: channels() }),
    incidents: [incident()],
    settings: { pagerdutyEventsUrl: `${pagerduty.url}/v2/enqueue`, allowPrivateTargets: true },
  });
});
afterEach(() => {
  // Whatever the test did, no log line may carry a credential.
  const logged = JSON.stringify(ports.logs);
  for (const secret of [ROUTING_KEY, "slacksecretpath0001", "webhooktoken42", WEBHOOK_SECRET, CHANNEL_SECRET]) expect(logged).not.toContain(secret);
});

const pdEvents = () => pagerduty.requests.map((r) => r.json<{ event_action: string; dedup_key: string; routing_key: string; payload?: { summary: string; severity: string } }>());
const slackTexts = () => slack.requests.map((r) => r.json<{ text: string }>().text);

describe("notify stage: routing", () => {
  it("sends one trigger per incident however many duplicates arrive", async () => {
    // prepare
    const events = [changed("a1", "inc_1", ["opened"])];
    for (let n = 2; n <= 50; n++) events.push(changed(`a${n}`, "inc_1", ["recurred"]));
    // act
    let run = await runStage(ports, [events[0]]);
    for (const [n, e] of events.slice(1).entries()) {
      ports.clock.advance(10_000);
      ports.putIncident(incident({ occurrences: n + 2, last_seen: ports.clock.now().toISOString() }));
      run = await runStage(ports, [e], run);
    }
    // assess
    expect(pdEvents()).toEqual([expect.objectContaining({ event_action: "trigger", dedup_key: dedupKey("inc_1"), routing_key: ROUTING_KEY })]);
    expect(slack.requests).toHaveLength(1);
    expect(webhook.requests).toHaveLength(1);
    expect(run.dead).toEqual([]);
  });

  it("resolves in PagerDuty with the trigger's dedup_key, and Slack gets a distinct resolved message", async () => {
    // prepare
    await runStage(ports, [changed("a1", "inc_1", ["opened"])]);
    ports.clock.advanceMinutes(42);
    ports.putIncident(incident({ status: "RESOLVED", resolution: "Raised the timeout to 60s", resolved_by: "sam@acme.io", resolved_at: ports.clock.now().toISOString() }));
    // act
    const run = await runStage(ports, [changed("r1", "inc_1", ["resolved"])]);
    // assess
    const [trigger, resolve] = pdEvents();
    expect(trigger.event_action).toBe("trigger");
    expect(resolve).toEqual({ event_action: "resolve", dedup_key: trigger.dedup_key, routing_key: ROUTING_KEY });
    const [opened, resolved] = slackTexts();
    expect(opened).toMatch(/^🟠 HIGH in payment-processor: Lambda function timeout/);
    expect(resolved).toMatch(/^✅ Resolved in payment-processor/);
    expect(JSON.stringify(slack.requests[1].json())).toContain("42m");
    expect(run.dead).toEqual([]);
  });

  it("emits nothing for an incident that no longer exists, or a tenant that was erased", async () => {
    // prepare
    const gone = fakePorts({ tenant: null, incidents: [incident()] });
    // act
    const missingIncident = await notifyStage(changed("x1", "inc_missing", ["opened"]), ports);
    const missingTenant = await notifyStage(changed("x2", "inc_1", ["opened"]), gone);
    // assess
    expect(missingIncident).toEqual([]);
    expect(missingTenant).toEqual([]);
  });

  it("filters by min_severity, but the resolution of an announced incident always goes out", async () => {
    // prepare
    ports.setChannels(channels(), "CRITICAL");
    ports.putIncident(incident({ severity: "MEDIUM" }));
    // act
    const quiet = await notifyStage(changed("a1", "inc_1", ["opened"]), ports);
    ports.putIncident(incident({ severity: "CRITICAL" }));
    const escalated = await notifyStage(changed("a2", "inc_1", ["escalated"]), ports);
    ports.putIncident(incident({ severity: "CRITICAL", status: "RESOLVED" }));
    const resolved = await notifyStage(changed("a3", "inc_1", ["resolved"]), ports);
    // assess
    expect(quiet).toEqual([]);
    expect(escalated.map((e) => (e.data as NotificationSend).change)).toEqual(["escalated", "escalated", "escalated"]);
    expect(resolved).toHaveLength(3);
  });

  it("a redelivered incident.changed emits the same notification ids, so nothing is sent twice", async () => {
    // prepare
    const event = changed("a1", "inc_1", ["opened"]);
    // act
    const first = await notifyStage(event, ports);
    const again = await notifyStage(event, ports);
    // assess
    expect(first.map((e) => e.id)).toEqual(["a1:incident.changed:0:notification.send", "a1:incident.changed:1:notification.send", "a1:incident.changed:2:notification.send"]);
    expect(again.map((e) => e.id)).toEqual(first.map((e) => e.id));
  });
});

describe("notify stage: sends name their channel, never its credentials", () => {
  const secrets = [ROUTING_KEY, "slacksecretpath0001", "webhooktoken42", WEBHOOK_SECRET];

  it("routes sends that carry no URL, routing key or secret, and delivers them to the configured channels", async () => {
    // act
    const sends = await notifyStage(changed("a1", "inc_1", ["opened"]), ports);
    for (const send of sends) await notifyStage(send, ports);
    // assess
    const queued = JSON.stringify(sends);
    for (const secret of secrets) expect(queued).not.toContain(secret);
    expect(sends.map((e) => Object.keys((e.data as NotificationSend).channel).sort())).toEqual([["id", "type"], ["id", "type"], ["id", "type"]]);
    expect([slack.requests.length, pagerduty.requests.length, webhook.requests.length]).toEqual([1, 1, 1]);
    expect(slack.requests[0].path).toBe("/services/T000/B000/slacksecretpath0001");
    expect(pagerduty.requests[0].json()).toMatchObject({ routing_key: ROUTING_KEY, event_action: "trigger" });
  });

  it("drops a send whose channel was removed or changed after routing, and a resolve then waits for nothing", async () => {
    // prepare
    const sends = await notifyStage(changed("a1", "inc_1", ["opened"]), ports);
    ports.setChannels([{ type: "slack", webhook_url: `${slackUrl()}-rotated` }, { type: "webhook", url: `${webhook.url}/hooks/ir?token=webhooktoken42` }]);
    // act
    for (const send of sends) await notifyStage(send, ports);
    ports.setChannels(channels());
    ports.putIncident(incident({ status: "RESOLVED" }));
    const resolves = await notifyStage(changed("a2", "inc_1", ["resolved"]), ports);
    const resolvedPd = resolves.find((e) => (e.data as NotificationSend).channel.type === "pagerduty")!;
    await notifyStage(resolvedPd, ports);
    // assess: the webhook, unchanged, got its notification; the rotated Slack URL and the removed PagerDuty key got none
    expect([slack.requests.length, pagerduty.requests.length, webhook.requests.length]).toEqual([0, 1, 1]);
    expect(pagerduty.requests[0].json()).toMatchObject({ event_action: "resolve" });
    expect(ports.logs.filter((l) => l.msg === "notification dropped: its channel is no longer configured")).toHaveLength(2);
  });

  it("still delivers a send routed before refs, which carries the whole channel, to that channel if it is configured", async () => {
    // prepare
    const channel = channels()[0];
    const legacy = makeEvent("notification.send", "tenant_1", "legacy", { incident_id: "inc_1", change: "opened", channel, payload: { text: "routed by the previous version" } }, new Date().toISOString());
    // act
    await notifyStage(legacy, ports);
    // assess
    expect(slack.requests.map((r) => r.json())).toEqual([{ text: "routed by the previous version" }]);
  });
});

describe("notify stage: delivery failures", () => {
  const receiverOf = (type: string) => ({ slack, pagerduty, webhook } as Record<string, HttpReceiver>)[type];

  describe.each(["slack", "pagerduty", "webhook"])("%s", (type) => {
    it("retries a 500 and then delivers on the 200", async () => {
      // prepare
      receiverOf(type).reply({ status: 500, body: "internal error" });
      // act
      const run = await runStage(ports, [changed("a1", "inc_1", ["opened"])]);
      // assess
      const requests = await receiverOf(type).received(2);
      expect(requests[1].body).toBe(requests[0].body); // the same notification again
      expect(run.retries).toEqual([expect.objectContaining({ reason: `${type} answered 500` })]);
      expect(sendsTo(run, type)).toHaveLength(1);
      expect(run.dead).toEqual([]);
    });

    it.each([
      { header: "7", delayMs: 7_000 },
      { header: new Date(Date.parse("2024-02-12T10:30:00Z") + 120_000).toUTCString(), delayMs: 120_000 },
      { header: undefined, delayMs: 1_000 },
    ])("honours a 429's Retry-After ($header)", async ({ header, delayMs }) => {
      // prepare
      receiverOf(type).reply({ status: 429, headers: header ? { "retry-after": header } : {}, body: "rate_limited" });
      const [send] = (await notifyStage(changed("a1", "inc_1", ["opened"]), ports)).filter((e) => (e.data as { channel: NotificationChannel }).channel.type === type);
      // act
      const error = await notifyStage(send, ports).catch((e: unknown) => e);
      const retried = await notifyStage(send, ports);
      // assess
      expect(error).toBeInstanceOf(RetryLater);
      expect((error as RetryLater).delayMs).toBe(delayMs);
      expect(retried).toEqual([]);
      expect(receiverOf(type).requests).toHaveLength(2);
    });

    it("retries when the connection drops", async () => {
      // prepare
      receiverOf(type).reply({ status: 0, reset: true });
      // act
      const run = await runStage(ports, [changed("a1", "inc_1", ["opened"])]);
      // assess
      expect(run.retries).toEqual([expect.objectContaining({ reason: expect.stringMatching(new RegExp(`^${type} unreachable`)) })]);
      expect(receiverOf(type).requests).toHaveLength(2);
      expect(run.dead).toEqual([]);
    });
  });

  // The receivers are on loopback, a private address: what they answer is not repeated in the reason
  // (ssrf.ts, fetchTarget), only their status. PagerDuty's events URL is the operator's, and is.
  it.each([
    { type: "slack", reply: { status: 404, body: "no_service" }, reason: "slack answered 404: " },
    { type: "slack", reply: { status: 403, body: "invalid_token" }, reason: "slack answered 403: " },
    { type: "webhook", reply: { status: 410, body: "gone" }, reason: "webhook answered 410: " },
    { type: "webhook", reply: { status: 302, headers: { location: "http://169.254.169.254/" } }, reason: "webhook answered 302 (redirects are not followed): " },
  ])("dead-letters $type's $reply.status at once", async ({ type, reply, reason }) => {
    // prepare
    receiverOf(type).reply(reply);
    // act
    const run = await runStage(ports, [changed("a1", "inc_1", ["opened"])]);
    // assess
    expect(run.dead).toEqual([expect.objectContaining({ reason, attempts: 1 })]);
    expect(receiverOf(type).requests).toHaveLength(1);
  });

  it("does not retry PagerDuty's 400: it is dead-lettered with the status and PagerDuty's reason", async () => {
    // prepare
    pagerduty.reply({ status: 400, body: JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors: ["Length of 'routing_key' is incorrect"] }) });
    // act
    const run = await runStage(ports, [changed("a1", "inc_1", ["opened"])]);
    // assess
    expect(pagerduty.requests).toHaveLength(1);
    expect(run.dead).toEqual([{ id: "a1:incident.changed:1:notification.send", attempts: 1, reason: expect.stringContaining("pagerduty answered 400: {\"status\":\"invalid event\"") }]);
    expect(ports.logs.some((l) => l.level === "error" && l.msg === "notification refused")).toBe(true);
    expect(slack.requests).toHaveLength(1); // one failing channel does not hold back another
  });

  it("refuses private targets at send time when the runtime does not allow them, and never connects", async () => {
    // prepare
    const aws = fakePorts({ tenant: tenant({ channels: channels() }), incidents: [incident()], settings: { pagerdutyEventsUrl: `${pagerduty.url}/v2/enqueue`, allowPrivateTargets: false } });
    // act
    const run = await runStage(aws, [changed("a1", "inc_1", ["opened"])]);
    // assess
    expect(run.dead.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^slack target refused: host 127\.0\.0\.1 is a private/),
      expect.stringMatching(/^webhook target refused: host 127\.0\.0\.1 is a private/),
    ]);
    expect(slack.requests).toHaveLength(0);
    expect(webhook.requests).toHaveLength(0);
    expect(pagerduty.requests).toHaveLength(1); // the operator's endpoint is not a tenant target
    ports = aws; // so afterEach checks these logs too
  });
});

describe("notify stage: flapping", () => {
  it("holds a lineage that keeps regressing, says so once, and says once when it settles", async () => {
    // prepare: each regression is a new incident linked to the one before, as match writes them; the quiet
    // checks the policy schedules come back when their time has come, as a queue's delayed messages would
    const run: Run = { handled: [], retries: [], dead: [] };
    const fire = async (n: number, minutes: number) => {
      ports.clock.advanceMinutes(minutes);
      ports.putIncident(incident({ incident_id: `inc_${n}`, regression_of: n > 1 ? `inc_${n - 1}` : null, severity: n > 1 ? "HIGH" : "MEDIUM" }));
      await runStage(ports, [changed(`fire${n}`, `inc_${n}`, [n > 1 ? "regressed" : "opened"])], run, { parkOverMs: 60_000 });
    };
    const resolve = async (n: number, minutes: number) => {
      ports.clock.advanceMinutes(minutes);
      ports.putIncident(incident({ incident_id: `inc_${n}`, regression_of: n > 1 ? `inc_${n - 1}` : null, status: "RESOLVED", resolved_at: ports.clock.now().toISOString(), resolved_by: "alertmanager" }));
      await runStage(ports, [changed(`resolve${n}`, `inc_${n}`, ["resolved"])], run, { parkOverMs: 60_000 });
    };
    // act
    await fire(1, 0); await resolve(1, 2);
    await fire(2, 2); await resolve(2, 2);
    await fire(3, 2); // third fire in 8 minutes: flapping
    const atStart = slack.requests.length;
    await resolve(3, 2); await fire(4, 2); await resolve(4, 2); await fire(5, 2);
    const whileHeld = slack.requests.length - atStart;
    await resolve(5, 31); // quiet for longer than the window: released
    // assess
    expect(whileHeld).toBe(0);
    expect(slackTexts()).toEqual([
      expect.stringMatching(/^🟡 MEDIUM in payment-processor/),
      expect.stringMatching(/^✅ Resolved/),
      expect.stringMatching(/^🟠 Regression \(HIGH\)/),
      expect.stringMatching(/^✅ Resolved/),
      expect.stringMatching(/^🔁 Flapping \(HIGH\)/),
      expect.stringMatching(/^✅ Flapping stopped \(now resolved\)/),
    ]);
    expect(JSON.stringify(slack.requests.at(-1)!.json())).toContain("4 changes held");
    expect(pdEvents().map((e) => `${e.event_action} ${e.dedup_key}`)).toEqual([
      "trigger ir:inc_1", "resolve ir:inc_1",
      "trigger ir:inc_2", "resolve ir:inc_2",
      "trigger ir:inc_3", // the flapping alert
      "resolve ir:inc_3", // closed when it settles
    ]);
    expect(webhook.requests.map((r) => r.json<{ change: string }>().change)).toEqual(["opened", "resolved", "regressed", "resolved", "flapping_started", "flapping_stopped"]);
  });
});

describe("notify stage: webhook signatures", () => {
  const verify = (r: Received, secret: string, nowMs: number) =>
    verifyWebhookSignature(secret, String(r.headers[TIMESTAMP_HEADER.toLowerCase()]), r.body, String(r.headers[SIGNATURE_HEADER.toLowerCase()]), nowMs, 300);

  it.each([
    { name: "the tenant's secret", channelSecret: undefined, secret: WEBHOOK_SECRET },
    { name: "the channel's own secret", channelSecret: CHANNEL_SECRET, secret: CHANNEL_SECRET },
  ])("signs with $name so the receiver can verify the body it got", async ({ channelSecret, secret }) => {
    // prepare
    ports.setChannels([{ type: "webhook", url: `${webhook.url}/hooks/ir`, ...(channelSecret ? { secret: channelSecret } : {}) }]);
    // act
    await runStage(ports, [changed("a1", "inc_1", ["opened"])]);
    const [request] = await webhook.received(1);
    // assess
    const now = ports.clock.now().getTime();
    expect(verify(request, secret, now)).toBe(true);
    expect(verify(request, "some-other-secret-000000", now)).toBe(false);
    expect(verify({ ...request, body: request.body.replace("payment-processor", "payment-processer") }, secret, now)).toBe(false);
    expect(verify(request, secret, now + 301_000)).toBe(false);
    expect(request.headers[DELIVERY_HEADER.toLowerCase()]).toBe("a1:incident.changed:0:notification.send");
    expect(request.json()).toMatchObject({ version: 1, type: "incident.opened", incident: { incident_id: "inc_1", service: "payment-processor" }, link: "https://ir.example.com/dashboard#/incidents/inc_1" });
  });

  it("routes an emitted send for any consumer: notification.send events carry the built payload", async () => {
    // prepare
    const channel: NotificationChannel = { type: "webhook", url: `${webhook.url}/x` };
    ports.setChannels([channel]);
    const send = makeEvent("notification.send", "tenant_1", "manual", { incident_id: "inc_1", change: "opened", channel: refOf(channel), payload: { hello: "world" } }, new Date().toISOString());
    // act
    await notifyStage(send, ports);
    const [request] = await webhook.received(1);
    // assess
    expect(request.json()).toEqual({ hello: "world" });
    expect(verify(request, WEBHOOK_SECRET, ports.clock.now().getTime())).toBe(true);
  });
});
