import { makeEvent, type Alarm, type AlarmState, type AlarmStore, type Outcome } from "@ir/core";
import type { Db } from "../db";
import type { Writer } from "../writer";

/**
 * Accepting an alarm = idempotency claim + alarm row + queue row, in one transaction. Concurrent HTTP
 * requests are group-committed by the Writer, so 32 clients cost one fsync-free commit per tick, not 32.
 */
export class SqliteAlarms implements AlarmStore {
  private readonly idemGet;
  private readonly idemPut;
  private readonly alarmPut;
  private readonly alarmGet;
  private readonly outcomePut;
  private readonly waiters = new Map<string, Array<(o: Outcome) => void>>();
  /**
   * Outcomes committed by the very transaction that accepted their alarm (the usual case: see Writer.carryWith)
   * are woken before the caller can start waiting; they are kept here for that caller for one turn of the
   * event loop, instead of being read back from the table.
   */
  private readonly justDecided = new Map<string, Outcome | null>();
  /** Set on the view `joining()` returns: accepts join the caller's transaction instead of the next group commit. */
  private readonly joins: boolean = false;

  constructor(db: Db, private readonly writer: Writer) {
    this.idemGet = db.prepare("SELECT alarm_id FROM idempotency WHERE tenant_id = ? AND key = ?");
    this.idemPut = db.prepare("INSERT INTO idempotency (tenant_id, key, alarm_id, created_at) VALUES (?, ?, ?, ?)");
    this.alarmPut = db.prepare("INSERT OR IGNORE INTO alarms (tenant_id, alarm_id, received_at) VALUES (?, ?, ?)");
    this.alarmGet = db.prepare("SELECT outcome FROM alarms WHERE tenant_id = ? AND alarm_id = ?");
    this.outcomePut = db.prepare("UPDATE alarms SET outcome = ? WHERE tenant_id = ? AND alarm_id = ?");
  }

  async accept(alarm: Alarm, idempotencyKey: string | undefined) {
    const key = `${alarm.tenant_id}/${alarm.alarm_id}`;
    this.justDecided.set(key, null);
    try {
      return await this.record(alarm, idempotencyKey);
    } finally {
      setImmediate(() => this.justDecided.delete(key));
    }
  }

  /** This store for code running inside a transaction (a stage handler, an API mutation); it shares the waiters. */
  joining(): SqliteAlarms {
    return Object.assign(Object.create(this) as SqliteAlarms, { joins: true });
  }

  private record(alarm: Alarm, idempotencyKey: string | undefined) {
    return (this.joins ? this.writer.join.bind(this.writer) : this.writer.write.bind(this.writer))(() => {
      if (idempotencyKey) {
        const prior = this.idemGet.get(alarm.tenant_id, idempotencyKey) as { alarm_id: string } | undefined;
        if (prior) return { alarm_id: prior.alarm_id, duplicate: true };
        this.idemPut.run(alarm.tenant_id, idempotencyKey, alarm.alarm_id, alarm.received_at);
      }
      this.alarmPut.run(alarm.tenant_id, alarm.alarm_id, alarm.received_at);
      this.writer.enqueue([makeEvent("alarm.received", alarm.tenant_id, alarm.alarm_id, alarm, alarm.received_at)]);
      return { alarm_id: alarm.alarm_id, duplicate: false };
    });
  }

  async get(tenantId: string, alarmId: string): Promise<AlarmState | null> {
    const row = this.alarmGet.get(tenantId, alarmId) as { outcome: string | null } | undefined;
    if (!row) return null;
    return row.outcome ? (JSON.parse(row.outcome) as Outcome) : { alarm_id: alarmId, status: "queued" };
  }

  async putOutcome(tenantId: string, outcome: Outcome) {
    this.outcomePut.run(JSON.stringify(outcome), tenantId, outcome.alarm_id);
    this.writer.afterCommit(() => this.wake(`${tenantId}/${outcome.alarm_id}`, outcome));
  }

  /** Resolves when the outcome is committed, or with null after `ms`. */
  waitFor(tenantId: string, alarmId: string, ms: number): Promise<AlarmState | null> {
    return new Promise((resolve) => {
      const key = `${tenantId}/${alarmId}`;
      const decided = this.justDecided.get(key);
      if (decided) { this.justDecided.delete(key); resolve(decided); return; }
      const list = this.waiters.get(key) ?? [];
      const timer = setTimeout(() => { this.drop(key, done); resolve(null); }, ms);
      const done = (o: Outcome) => { clearTimeout(timer); resolve(o); };
      list.push(done);
      this.waiters.set(key, list);
      // The outcome may have been committed between the caller's read and this registration.
      void this.get(tenantId, alarmId).then((s) => { if (s && s.status !== "queued") { this.drop(key, done); done(s as Outcome); } });
    });
  }

  private wake(key: string, o: Outcome) {
    if (this.justDecided.has(key)) this.justDecided.set(key, o);
    const list = this.waiters.get(key);
    if (!list) return;
    this.waiters.delete(key);
    for (const fn of list) fn(o);
  }
  private drop(key: string, fn: (o: Outcome) => void) {
    const list = this.waiters.get(key)?.filter((f) => f !== fn) ?? [];
    if (list.length) this.waiters.set(key, list); else this.waiters.delete(key);
  }
}
