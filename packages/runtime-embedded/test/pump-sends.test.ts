import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeEvent, Poison, RetryLater, type PipelineEvent, type StageHandler, type StageName } from "@ir/core";
import { IDLE_POLL_MS, MAX_SENDS_PER_TENANT, Pump } from "../src/pump";
import { openStore } from "../src/start";

const TENANT = "t_sends";
const send = (i: number, tenant = TENANT) => makeEvent("notification.send", tenant, `inc_${i}`, {
  incident_id: `inc_${i}`, change: "opened", channel: { type: "webhook", id: "3f2a9c" }, payload: { i },
}, "2031-01-01T00:00:00.000Z");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stand-in receiver that takes `ms` to answer, and what it saw. Only notify does anything: what is under test is the pump. */
function slowReceiver(ms: number) {
  const none: StageHandler = async () => [];
  const seen = { sent: [] as string[], running: 0, peak: 0, finished: 0 };
  let firstStarted!: () => void;
  const started = new Promise<void>((r) => { firstStarted = r; });
  const notify: StageHandler = async (e) => {
    seen.sent.push(e.id);
    seen.peak = Math.max(seen.peak, ++seen.running);
    firstStarted();
    await sleep(ms);
    seen.running--;
    seen.finished++;
    return [];
  };
  const handlers: Record<StageName, StageHandler> = { ingest: none, embed: none, match: none, enrich: none, notify };
  return { handlers, seen, started };
}

describe("pump: network sends", () => {
  const dirs: string[] = [];
  /** `logged`: collects the error lines, which are otherwise dropped. */
  const open = (dir = mkdtempSync(join(tmpdir(), "ir-sends-")), logged?: string[]) => {
    if (!dirs.includes(dir)) dirs.push(dir);
    const logDestination = logged && ({ write: (line: string) => logged.push(line) } as never);
    return { dir, ...openStore({ dataDir: dir, LOG_LEVEL: logged ? "error" : "silent", logDestination }) };
  };
  const enqueue = (s: ReturnType<typeof open>, events: PipelineEvent[]) => s.writer.exclusive(() => s.writer.enqueue(events));
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it("sends one tenant's backlog, larger than its share of the slots, each message once, never more than its share at a time", async () => {
    const s = open();
    const { handlers, seen } = slowReceiver(20);
    const pump = new Pump(s.queue, s.writer, s.ports, s.inTransaction, handlers);

    await enqueue(s, Array.from({ length: 40 }, (_, i) => send(i)));
    pump.kick();

    await expect.poll(() => seen.finished, { timeout: 5000 }).toBe(40);
    await pump.idle();
    expect(new Set(seen.sent).size).toBe(40);
    expect(seen.sent).toHaveLength(40);
    // Its share, not the 16 slots, is what binds one tenant (the next test fills all 16 with eight).
    expect(seen.peak).toBe(MAX_SENDS_PER_TENANT);
    expect(s.queue.depth()).toEqual({});
    await pump.stop();
    s.db.close();
  });

  it("shares the 16 slots out by tenant: many tenants' backlogs fill them, no tenant holds more than its share", async () => {
    // prepare: eight tenants with ten sends each
    const s = open();
    const { handlers, seen } = slowReceiver(20);
    const running = new Map<string, number>();
    let peakPerTenant = 0;
    const notify = handlers.notify;
    handlers.notify = async (e, ports) => {
      running.set(e.tenant_id, (running.get(e.tenant_id) ?? 0) + 1);
      peakPerTenant = Math.max(peakPerTenant, running.get(e.tenant_id)!);
      try { return await notify(e, ports); } finally { running.set(e.tenant_id, running.get(e.tenant_id)! - 1); }
    };
    const pump = new Pump(s.queue, s.writer, s.ports, s.inTransaction, handlers);
    await enqueue(s, Array.from({ length: 80 }, (_, i) => send(i, `t_${i % 8}`)));

    // act
    pump.kick();
    await expect.poll(() => seen.finished, { timeout: 5000 }).toBe(80);
    await pump.idle();

    // assess
    expect(new Set(seen.sent).size).toBe(80);
    expect(seen.sent).toHaveLength(80);
    expect(seen.peak).toBe(16);
    expect(peakPerTenant).toBeLessThanOrEqual(MAX_SENDS_PER_TENANT);
    expect(s.queue.depth()).toEqual({});
    await pump.stop();
    s.db.close();
  });

  it("starts another tenant's send at once while one tenant's receiver never answers", async () => {
    // prepare: tenant A's receiver hangs (until released), then fails, as a send that times out does
    const s = open();
    let release!: () => void;
    const hung = new Promise<void>((r) => { release = r; });
    const none: StageHandler = async () => [];
    const started: string[] = [];
    const notify: StageHandler = async (e) => {
      started.push(e.tenant_id);
      if (e.tenant_id === "t_noisy") { await hung; throw new RetryLater("webhook unreachable (UND_ERR_CONNECT_TIMEOUT)", 0); }
      return [];
    };
    const pump = new Pump(s.queue, s.writer, s.ports, s.inTransaction, { ingest: none, embed: none, match: none, enrich: none, notify });
    await enqueue(s, Array.from({ length: 40 }, (_, i) => send(i, "t_noisy")));
    pump.kick();
    await expect.poll(() => started.length).toBeGreaterThan(0);

    // act: the other tenant's page is queued behind all of them
    await enqueue(s, [send(1000, "t_victim")]);
    pump.kick();

    // assess
    await expect.poll(() => started.includes("t_victim"), { timeout: 1000 }).toBe(true);
    expect(started.filter((t) => t === "t_noisy").length).toBeLessThanOrEqual(MAX_SENDS_PER_TENANT);
    release();
    await pump.stop();
    s.db.close();
  });

  it("on stop, lets a send in flight finish and commit its ack before the store closes", async () => {
    const errors: string[] = [];
    const s = open(undefined, errors);
    const { handlers, seen, started } = slowReceiver(300);
    const pump = new Pump(s.queue, s.writer, s.ports, s.inTransaction, handlers);
    await enqueue(s, [send(1)]);
    pump.kick();
    await started;

    // What close() in start.ts does.
    await pump.stop();
    expect(seen.finished).toBe(1);
    await s.writer.exclusive(() => undefined);
    s.db.close();

    // A send that outlived the store would fail to record its outcome and say so, and be sent again.
    expect(errors).toEqual([]);
    const reopened = open(s.dir);
    expect(reopened.queue.depth()).toEqual({});
    reopened.db.close();
  });

  it("picks up, while idle, work another process queued in the shared store (ir dlq replay)", async () => {
    const s = open();
    const { handlers, seen } = slowReceiver(0);
    const pump = new Pump(s.queue, s.writer, s.ports, s.inTransaction, handlers);
    pump.kick();
    await sleep(50);
    await pump.idle();

    // The CLI opens the same data dir in its own process; nothing there can kick this pump.
    const cli = open(s.dir);
    await enqueue(cli, [send(7)]);
    cli.db.close();

    await expect.poll(() => seen.finished, { timeout: IDLE_POLL_MS + 2000, interval: 100 }).toBe(1);
    await pump.stop();
    s.db.close();
  });

  it("does not write an erased tenant's send back as a dead letter when it fails after the erase", async () => {
    const s = open();
    let release!: () => void;
    const answered = new Promise<void>((r) => { release = r; });
    const none: StageHandler = async () => [];
    let started!: () => void;
    const inFlight = new Promise<void>((r) => { started = r; });
    // A receiver that refuses for good (a 4xx), answering only after the erase.
    const notify: StageHandler = async () => { started(); await answered; throw new Poison("webhook answered 410 Gone"); };
    const pump = new Pump(s.queue, s.writer, s.ports, s.inTransaction, { ingest: none, embed: none, match: none, enrich: none, notify });
    await enqueue(s, [send(1)]);
    pump.kick();
    await inFlight;

    await s.writer.exclusive(() => s.ports.eraser.erase(TENANT));
    release();
    await pump.stop();

    expect(s.db.prepare("SELECT count(*) AS n FROM dead_letters WHERE tenant_id = ?").get(TENANT)).toEqual({ n: 0 });
    s.db.close();
  });
});
