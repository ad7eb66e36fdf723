import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RetryLater, STAGES, type Change, type PipelineEvent } from "@ir/core";
import { notifyStage } from "../src/index";
import { fakePorts, incident, tenant, type FakePorts } from "./fakes";
import { startReceiver, type HttpReceiver } from "./http-receiver";
import { changed, runStage, type Run } from "./run-stage";

/**
 * What PagerDuty ends up with when notify's events arrive out of order, fail, retry and run concurrently:
 * never an open alert for a resolved incident.
 */

let slack: HttpReceiver;
let pagerduty: HttpReceiver;
let ports: FakePorts;

beforeAll(async () => { [slack, pagerduty] = await Promise.all([startReceiver(), startReceiver()]); });
afterAll(async () => { await Promise.all([slack.close(), pagerduty.close()]); });
beforeEach(() => {
  for (const r of [slack, pagerduty]) r.reset();
  ports = fakePorts({
    tenant: tenant({ channels: [{ type: "slack", webhook_url: `${slack.url}/services/T/B/x` }, { type: "pagerduty", routing_key: "R0UT1NGKEY0123456789" }] }),
    incidents: [incident()],
    settings: { pagerdutyEventsUrl: `${pagerduty.url}/v2/enqueue`, allowPrivateTargets: true },
  });
});

const pd = () => pagerduty.requests.map((r) => { const j = r.json<{ event_action: string; dedup_key: string }>(); return `${j.event_action} ${j.dedup_key}`; });
/** Alerts PagerDuty would still have open after everything it received. */
const openAlerts = () => {
  const open = new Set<string>();
  for (const e of pd()) { const [action, key] = e.split(" "); if (action === "trigger") open.add(key); else open.delete(key); }
  return [...open];
};
const resolved = (overrides = {}) => incident({ status: "RESOLVED", resolved_at: "2024-02-12T10:31:00Z", resolved_by: "sre", resolution: "fixed", ...overrides });
/** Routes one change and returns its PagerDuty send, without delivering it. */
const pagerDutySend = async (event: PipelineEvent) =>
  (await notifyStage(event, ports)).find((e) => e.type === "notification.send" && (e.data as { channel: { type: string } }).channel.type === "pagerduty")!;

describe("PagerDuty sends for one alert keep their order", () => {
  it("a resolve waits while its trigger is undelivered, and follows it once the trigger gets through", async () => {
    // prepare: the trigger meets an outage
    pagerduty.reply({ status: 503 }, { status: 503 });
    const trigger = await pagerDutySend(changed("a1", "inc_1", ["opened"]));
    await expect(notifyStage(trigger, ports)).rejects.toBeInstanceOf(RetryLater);
    ports.putIncident(resolved());
    const resolve = await pagerDutySend(changed("r1", "inc_1", ["resolved"]));
    // act: the resolve comes round first, then the trigger fails again, then both in the order the backoffs allow
    const waited = await notifyStage(resolve, ports).catch((e: unknown) => e);
    await expect(notifyStage(trigger, ports)).rejects.toBeInstanceOf(RetryLater);
    const stillWaiting = await notifyStage(resolve, ports).catch((e: unknown) => e);
    await notifyStage(trigger, ports);
    await notifyStage(resolve, ports);
    // assess
    expect(waited).toBeInstanceOf(RetryLater);
    expect((waited as RetryLater).message).toMatch(/waiting for 1 earlier trigger/);
    expect(stillWaiting).toBeInstanceOf(RetryLater);
    expect(pd()).toEqual(["trigger ir:inc_1", "trigger ir:inc_1", "trigger ir:inc_1", "resolve ir:inc_1"]);
    expect(openAlerts()).toEqual([]);
  });

  it("a trigger PagerDuty refuses (dead-lettered) does not hold the resolve back", async () => {
    // prepare
    pagerduty.reply({ status: 400, body: "invalid event" });
    const run = await runStage(ports, [changed("a1", "inc_1", ["opened"])]);
    ports.putIncident(resolved());
    // act
    await runStage(ports, [changed("r1", "inc_1", ["resolved"])], run);
    // assess
    expect(run.dead).toHaveLength(1);
    expect(pd()).toEqual(["trigger ir:inc_1", "resolve ir:inc_1"]);
  });

  it("a trigger still failing when the runtime gives up on it does not hold the resolve back", async () => {
    // prepare: out of attempts and past the stage's retry window, the runtime dead-letters it
    pagerduty.reply(...Array.from({ length: STAGES.notify.maxAttempts }, () => ({ status: 503 })));
    const trigger = await pagerDutySend(changed("a1", "inc_1", ["opened"]));
    for (let i = 0; i < STAGES.notify.maxAttempts; i++) {
      if (i === STAGES.notify.maxAttempts - 1) ports.clock.advance((STAGES.notify.retryWindowSeconds ?? 0) * 1000);
      await expect(notifyStage(trigger, ports)).rejects.toBeInstanceOf(RetryLater);
    }
    ports.putIncident(resolved());
    // act
    const resolve = await pagerDutySend(changed("r1", "inc_1", ["resolved"]));
    await notifyStage(resolve, ports);
    // assess
    expect(pd().at(-1)).toBe("resolve ir:inc_1");
  });

  it("a trigger routed before a resolve that was delivered is not sent any more (a late retry, a replay)", async () => {
    // prepare: the trigger fails, and is not retried within the stage's retry window; the resolve then goes
    pagerduty.reply({ status: 503 });
    const trigger = await pagerDutySend(changed("a1", "inc_1", ["opened"]));
    await expect(notifyStage(trigger, ports)).rejects.toBeInstanceOf(RetryLater);
    ports.clock.advance((STAGES.notify.retryWindowSeconds ?? 0) * 1000 + 1);
    ports.putIncident(resolved());
    await notifyStage(await pagerDutySend(changed("r1", "inc_1", ["resolved"])), ports);
    // act: the trigger comes back (its last retry, or `ir dlq replay`)
    const out = await notifyStage(trigger, ports);
    // assess
    expect(out).toEqual([]);
    expect(pd()).toEqual(["trigger ir:inc_1", "resolve ir:inc_1"]);
    expect(ports.logs.some((l) => l.msg?.startsWith("notification dropped"))).toBe(true);
  });
});

describe("an opening that reaches notify after its incident resolved", () => {
  // On AWS a resolution goes match → notify while the opening goes match → enrich (a chat call) → notify.
  it.each<{ change: Change; regression_of: string | null }>([
    { change: "opened", regression_of: null },
    { change: "regressed", regression_of: "inc_0" },
  ])("does not page for it ($change)", async ({ change, regression_of }) => {
    // prepare
    ports.putIncident(resolved({ regression_of }));
    await runStage(ports, [changed("a1:resolve", "inc_1", ["resolved"])]);
    ports.clock.advance(5_000);
    // act
    await runStage(ports, [changed("a0", "inc_1", [change])]);
    // assess
    expect(pd()).toEqual([]);
    expect(slack.requests).toHaveLength(0);
  });

  it("an opening routed before its resolution still pages, and the resolve follows", async () => {
    // prepare
    await runStage(ports, [changed("a0", "inc_1", ["opened"])]);
    ports.putIncident(resolved());
    // act
    await runStage(ports, [changed("a1", "inc_1", ["resolved"])]);
    // assess
    expect(pd()).toEqual(["trigger ir:inc_1", "resolve ir:inc_1"]);
  });
});

describe("concurrent routings of one incident (AWS: a standard queue's batch runs its records at once)", () => {
  it("a recurrence routed alongside the opening does not erase it: the resolve still goes", async () => {
    // prepare
    ports.putIncident(incident({ occurrences: 2 }));
    // act
    const [a, b] = await Promise.all([
      notifyStage(changed("a0", "inc_1", ["opened"]), ports),
      notifyStage(changed("a1", "inc_1", ["recurred"]), ports),
    ]);
    await runStage(ports, [...a, ...b]);
    ports.clock.advanceMinutes(20);
    ports.putIncident(incident({ occurrences: 2, status: "RESOLVED", resolved_at: ports.clock.now().toISOString(), resolved_by: "sre", resolution: "fixed" }));
    await runStage(ports, [changed("res_1:resolve", "inc_1", ["resolved"])]);
    // assess
    expect(pd()).toEqual(["trigger ir:inc_1", "resolve ir:inc_1"]);
  });
});

describe("a flapping lineage that stays fixed", () => {
  // Each regression is a new incident linked to the one before, as match writes them. The quiet checks the
  // policy schedules are parked and come back once the clock has passed their time, as a queue's delayed
  // messages would.
  let run: Run;
  beforeEach(() => { run = { handled: [], retries: [], dead: [] }; });
  const at = (n: number, status: "OPEN" | "RESOLVED") => incident({
    incident_id: `inc_${n}`, regression_of: n > 1 ? `inc_${n - 1}` : null, severity: "HIGH", status,
    ...(status === "RESOLVED" ? { resolved_at: ports.clock.now().toISOString(), resolved_by: "alertmanager" } : {}),
  });
  const fire = async (n: number, minutes: number) => {
    ports.clock.advanceMinutes(minutes);
    ports.putIncident(at(n, "OPEN"));
    await runStage(ports, [changed(`fire${n}`, `inc_${n}`, [n > 1 ? "regressed" : "opened"])], run, { parkOverMs: 60_000 });
  };
  const resolve = async (n: number, minutes: number) => {
    ports.clock.advanceMinutes(minutes);
    ports.putIncident(at(n, "RESOLVED"));
    await runStage(ports, [changed(`resolve${n}`, `inc_${n}`, ["resolved"])], run, { parkOverMs: 60_000 });
  };
  const later = async (minutes: number) => {
    ports.clock.advanceMinutes(minutes);
    await runStage(ports, [], run, { parkOverMs: 60_000 });
  };

  it("gets its flapping alert resolved once quiet, with no later event for the lineage", async () => {
    // prepare
    await fire(1, 0); await resolve(1, 2);
    await fire(2, 2); await resolve(2, 2);
    await fire(3, 2); await resolve(3, 2); // flapping since the third fire; fixed for good after this
    const whileHeld = pd().length;
    // act: no event for the lineage ever again
    await later(27); // 29 minutes after the last fire
    const beforeQuiet = pd().length;
    await later(24 * 60);
    // assess
    expect(whileHeld).toBe(5);
    expect(beforeQuiet).toBe(5); // not before the lineage has been quiet for flapQuietMs
    expect(pd()).toEqual(["trigger ir:inc_1", "resolve ir:inc_1", "trigger ir:inc_2", "resolve ir:inc_2", "trigger ir:inc_3", "resolve ir:inc_3"]);
    expect(slack.requests.slice(-2).map((r) => r.json<{ text: string }>().text)).toEqual([
      expect.stringMatching(/Flapping stopped \(now resolved\)/), expect.stringMatching(/^✅ Resolved/),
    ]);
    expect(run.dead).toEqual([]);
  });

  it("says once that it settled, when a regression inherited the flapping and stayed open", async () => {
    // prepare
    await fire(1, 0); await resolve(1, 2);
    await fire(2, 2); await resolve(2, 2);
    await fire(3, 2); await resolve(3, 2); await fire(4, 2); // still flapping: held, and open
    // act
    await later(24 * 60);
    // assess: the flapping alert (inc_3's) closed, the open regression paged; the earlier checks ended quietly
    expect(pd()).toEqual([
      "trigger ir:inc_1", "resolve ir:inc_1", "trigger ir:inc_2", "resolve ir:inc_2", "trigger ir:inc_3",
      "resolve ir:inc_3", "trigger ir:inc_4",
    ]);
    expect(slack.requests.map((r) => r.json<{ text: string }>().text).filter((t) => /Flapping stopped/.test(t))).toHaveLength(1);
    expect(run.parked).toEqual([]);
    expect(run.dead).toEqual([]);
  });
});

describe("webhook and Slack threads keep their order per channel", () => {
  const sendTo = async (type: string, event: PipelineEvent) =>
    (await notifyStage(event, ports)).find((e) => e.type === "notification.send" && (e.data as { channel: { type: string } }).channel.type === type)!;
  const changesAt = (r: HttpReceiver) => r.requests.map((q) => q.json<{ change: string }>().change);

  it("a webhook's resolved, routed during the receiver's outage, arrives after the opening it closes", async () => {
    // prepare: a webhook channel whose receiver is down for the opening's first tries
    const hook = slack;
    ports = fakePorts({ tenant: tenant({ channels: [{ type: "webhook", url: `${hook.url}/ir`, secret: "whsec_0123456789abcdef" }] }), incidents: [incident()], settings: { allowPrivateTargets: true } });
    hook.reply({ status: 503 }, { status: 503 });
    const opening = await sendTo("webhook", changed("a1", "inc_1", ["opened"]));
    await expect(notifyStage(opening, ports)).rejects.toBeInstanceOf(RetryLater);
    ports.putIncident(resolved());
    const resolve = await sendTo("webhook", changed("r1", "inc_1", ["resolved"]));
    // act: the young resolve comes round first
    const waited = await notifyStage(resolve, ports).catch((e: unknown) => e);
    await expect(notifyStage(opening, ports)).rejects.toBeInstanceOf(RetryLater);
    await notifyStage(opening, ports);
    await notifyStage(resolve, ports);
    // assess: the consumer got the opening before the resolve
    expect(waited).toBeInstanceOf(RetryLater);
    expect(changesAt(hook)).toEqual(["opened", "opened", "opened", "resolved"]);
  });

  it("a resolve to Slack does not wait out PagerDuty's outage", async () => {
    // prepare: PagerDuty is down; Slack took the opening
    pagerduty.reply(...Array.from({ length: 5 }, () => ({ status: 503 })));
    const routed = await notifyStage(changed("a1", "inc_1", ["opened"]), ports);
    for (const send of routed) await notifyStage(send, ports).catch(() => undefined);
    ports.putIncident(resolved());
    const resolves = await notifyStage(changed("r1", "inc_1", ["resolved"]), ports);
    const toSlack = resolves.find((e) => (e.data as { channel: { type: string } }).channel.type === "slack")!;
    const toPagerDuty = resolves.find((e) => (e.data as { channel: { type: string } }).channel.type === "pagerduty")!;
    // act
    await notifyStage(toSlack, ports);
    const pdWaits = await notifyStage(toPagerDuty, ports).catch((e: unknown) => e);
    // assess
    expect(slack.requests).toHaveLength(2);
    expect(pdWaits).toBeInstanceOf(RetryLater);
  });
});
