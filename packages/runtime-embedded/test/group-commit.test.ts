import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeEvent, type Alarm, type StageHandler, type StageName } from "@ir/core";
import { Pump } from "../src/pump";
import { TransactionLost } from "../src/db";
import { openStore } from "../src/start";

const TENANT = "t_group";
const alarm = (i: number, error = `disk full on host ${i}`): Alarm => ({
  alarm_id: `alm_${i}`, tenant_id: TENANT, source: "http", error, service: "db", severity: "HIGH", metadata: {},
  occurred_at: "2031-01-01T00:00:00.000Z", received_at: "2031-01-01T00:00:00.000Z",
});

/**
 * Stand-in stages: embed passes the alarm on, match counts it and records an outcome (and fails for an alarm
 * saying "boom"). What is under test is the runtime around them, not the domain.
 */
function stages(seen: string[], lost: string[] = []): Record<StageName, StageHandler> {
  const none: StageHandler = async () => [];
  return {
    ingest: none, enrich: none, notify: none,
    embed: async (e) => [makeEvent("alarm.embedded", e.tenant_id, e.id, { alarm: e.data, masked: "", fingerprint: "", vector: "" } as never, e.at)],
    match: async (e, ports) => {
      const a = (e.data as { alarm: Alarm }).alarm;
      seen.push(a.alarm_id);
      await ports.usage.add(TENANT, "p", "decided", 1);
      if (a.error.includes("boom")) throw new Error("match failed");
      // What no savepoint contains: SQLite rolled the whole transaction back (a full disk, say).
      if (a.error.includes("lost")) { lost.push(a.alarm_id); throw new TransactionLost(new Error("SQLITE_FULL")); }
      await ports.alarms.putOutcome(TENANT, { alarm_id: a.alarm_id, status: "new", incident_id: `inc_${a.alarm_id}`, occurrences: 1, severity: "HIGH", runbooks: [], recommendations: [], match: { method: "none", score: 0 } } as never);
      return [];
    },
  };
}

describe("group commit: accepted alarms are decided in the transaction that accepts them", () => {
  const dirs: string[] = [];
  const store = (seen: string[], lost: string[] = []) => {
    const dir = mkdtempSync(join(tmpdir(), "ir-group-"));
    dirs.push(dir);
    let pump: Pump | undefined;
    const s = openStore({ dataDir: dir, LOG_LEVEL: "silent" }, () => pump?.kick());
    pump = new Pump(s.queue, s.writer, s.ports, s.inTransaction, stages(seen, lost));
    return { ...s, pump };
  };
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it("decides each alarm once without ever queueing it", async () => {
    const seen: string[] = [];
    const { ports, queue, pump, db } = store(seen);
    await Promise.all([1, 2, 3].map((i) => ports.alarms.accept(alarm(i), undefined)));
    // Accepted means decided: the outcome is readable as soon as accept returns, and no queue row was written.
    expect((await ports.alarms.get(TENANT, "alm_2"))?.status).toBe("new");
    expect(queue.inserted).toBe(0);
    expect(seen.sort()).toEqual(["alm_1", "alm_2", "alm_3"]);
    expect((await ports.usage.get(TENANT, "p")).decided).toBe(3);
    pump.stop();
    db.close();
  });

  it("splits a large cohort: the first half is answered before the second is decided, so one can be on the wire while the other is decided", async () => {
    const seen: string[] = [];
    const { ports, pump, db } = store(seen);
    // What each accept had seen decided when it returned.
    const decidedWhenAnswered: number[] = [];
    await Promise.all(Array.from({ length: 40 }, (_, i) => ports.alarms.accept(alarm(i), undefined).then(() => decidedWhenAnswered.push(seen.length))));
    // 40 waiting: half go first (20), then at least GROUP_SPLIT_ABOVE of the 20 left (16), then the rest (4).
    expect(decidedWhenAnswered).toEqual([...Array(20).fill(20), ...Array(16).fill(36), ...Array(4).fill(40)]);
    expect(seen).toHaveLength(40);
    expect((await ports.usage.get(TENANT, "p")).decided).toBe(40);
    pump.stop();
    db.close();
  });

  it("when one alarm of a batch fails, redoes the batch with savepoints: the others count once, the failed one waits in the queue", async () => {
    const seen: string[] = [];
    const { ports, queue, pump, db } = store(seen);
    const accepted = await Promise.all([alarm(1), alarm(2, "boom on host 2"), alarm(3)].map((a) => ports.alarms.accept(a, undefined)));
    expect(accepted.map((a) => a.alarm_id)).toEqual(["alm_1", "alm_2", "alm_3"]);
    // The optimistic run saw alm_1 and alm_2, then was rolled back; the careful run saw all three.
    expect(seen).toEqual(["alm_1", "alm_2", "alm_1", "alm_2", "alm_3"]);
    expect((await ports.usage.get(TENANT, "p")).decided).toBe(2);
    expect((await ports.alarms.get(TENANT, "alm_1"))?.status).toBe("new");
    expect((await ports.alarms.get(TENANT, "alm_2"))?.status).toBe("queued");
    // Retried after a backoff of at least half a second, so it is still waiting here.
    expect(queue.depth()).toEqual({ match: 1 });
    pump.stop();
    db.close();
  });

  it("queues what it accepts while the pipeline is stopped", async () => {
    const seen: string[] = [];
    const { ports, queue, pump, db } = store(seen);
    pump.stop();
    await ports.alarms.accept(alarm(1), undefined);
    expect(seen).toEqual([]);
    expect(queue.depth()).toEqual({ embed: 1 });
    db.close();
  });

  it("an alarm whose decision loses the whole transaction fails alone; the alarms committed with it are decided", async () => {
    const seen: string[] = [];
    const { ports, pump, db } = store(seen);
    const results = await Promise.allSettled([alarm(1), alarm(2, "transaction lost here"), alarm(3)].map((a) => ports.alarms.accept(a, undefined)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await ports.alarms.get(TENANT, "alm_1"))?.status).toBe("new");
    expect((await ports.alarms.get(TENANT, "alm_3"))?.status).toBe("new");
    await pump.stop();
    db.close();
  });

  it("a queued message that loses every pass's transaction backs off, counts its attempts, and lets the others through", async () => {
    const seen: string[] = [];
    const lost: string[] = [];
    const { queue, writer, pump, db } = store(seen, lost);
    await pump.stop(); // queued by hand below, as after a restart
    const events = [alarm(1), alarm(2, "transaction lost here"), alarm(3), alarm(4)].map((a) => makeEvent("alarm.received", TENANT, a.alarm_id, a, a.received_at));
    await writer.exclusive(() => queue.publish(events, Date.now()));
    const running = new Pump(queue, writer, (pump as unknown as { ports: never }).ports, (pump as unknown as { inTransaction: never }).inTransaction, stages(seen, lost));
    const attempts = () => (db.prepare("SELECT attempts FROM queue WHERE stage = 'match' AND event_id LIKE 'alm_2:%'").get() as { attempts: number } | undefined)?.attempts ?? 0;
    const others = () => (db.prepare("SELECT COUNT(*) AS n FROM queue WHERE event_id NOT LIKE 'alm_2:%'").get() as { n: number }).n;
    const t0 = Date.now();
    running.kick();
    // A second counted try comes only after the first one's backoff (at least 500 ms).
    await expect.poll(() => others() === 0 && attempts() >= 2, { timeout: 15_000 }).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    await running.stop();
    // The others were decided; the failing one was retried a few times, not hundreds, and each try counted.
    expect([...new Set(seen)].sort()).toEqual(["alm_1", "alm_2", "alm_3", "alm_4"]);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.length).toBeLessThan(10);
    db.close();
  });
});
