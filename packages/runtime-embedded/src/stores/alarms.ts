import { makeEvent, Unauthorized, type Alarm, type AlarmState, type AlarmStore, type Outcome, type Recommendation } from "@ir/core";
import type { Db, Tx } from "../db";
import type { Writer } from "../writer";
import { WriteBack } from "../write-back";

/** An alarm row written by this transaction: created by it (`received_at` set), decided by it (`outcome` set), or both. */
interface PendingRow { tenantId: string; alarmId: string; receivedAt: string | null; outcome: string | null }

/**
 * Accepting an alarm = idempotency claim + alarm row + queue row, in one transaction. Concurrent HTTP
 * requests are group-committed by the Writer, so 32 clients cost one fsync-free commit per tick, not 32.
 *
 * An alarm accepted and decided in the same transaction (the usual case: see Writer.carryWith) is written
 * once, with its outcome, just before COMMIT. The stored outcome leaves out the recommendations: they are
 * the incident's, written once per incident, and are read back from it. Alarm rows were a third of the
 * pages each commit wrote, and the recommendations most of each row.
 */
export class SqliteAlarms implements AlarmStore {
  private readonly idemGet;
  private readonly idemPut;
  private readonly alarmGet;
  private readonly rowInsert;
  private readonly rowDecide;
  private readonly rows: WriteBack<PendingRow>;
  private readonly waiters = new Map<string, Array<(o: Outcome) => void>>();
  /**
   * Outcomes committed by the very transaction that accepted their alarm (the usual case: see Writer.carryWith)
   * are woken before the caller can start waiting; they are kept here for that caller for one turn of the
   * event loop, instead of being read back from the table.
   */
  private readonly justDecided = new Map<string, Outcome | null>();
  /** Set on the view `joining()` returns: accepts join the caller's transaction instead of the next group commit. */
  private readonly joins: boolean = false;

  constructor(
    db: Db,
    tx: Tx,
    private readonly writer: Writer,
    private readonly recommendationsOf: (tenantId: string, incidentId: string) => Promise<Recommendation[]>,
    /** The tenant was erased since this process started (SqliteTenants.isErased): checked inside the write. */
    private readonly erased: (tenantId: string) => boolean,
  ) {
    this.idemGet = db.prepare("SELECT alarm_id FROM idempotency WHERE tenant_id = ? AND key = ?");
    this.idemPut = db.prepare("INSERT INTO idempotency (tenant_id, key, alarm_id, created_at) VALUES (?, ?, ?, ?)");
    this.alarmGet = db.prepare("SELECT outcome FROM alarms WHERE tenant_id = ? AND alarm_id = ?");
    this.rowInsert = db.prepare(`INSERT INTO alarms (tenant_id, alarm_id, received_at, outcome) VALUES (?, ?, ?, ?)
      ON CONFLICT (tenant_id, alarm_id) DO UPDATE SET outcome = excluded.outcome WHERE excluded.outcome IS NOT NULL`);
    this.rowDecide = db.prepare("UPDATE alarms SET outcome = ? WHERE tenant_id = ? AND alarm_id = ?");
    this.rows = tx.track(new WriteBack<PendingRow>((_, r) => this.writeRow(r)));
  }

  private writeRow(r: PendingRow) {
    if (r.receivedAt !== null) this.rowInsert.run(r.tenantId, r.alarmId, r.receivedAt, r.outcome);
    else this.rowDecide.run(r.outcome, r.tenantId, r.alarmId);
  }

  /** Buffered until COMMIT inside a transaction; written at once outside one (tests, tools). */
  private put(key: string, row: PendingRow) {
    if (this.rows.active) this.rows.set(key, row); else this.writeRow(row);
  }

  async accept(alarm: Alarm, idempotencyKey: string | undefined) {
    const key = `${alarm.tenant_id}/${alarm.alarm_id}`;
    this.justDecided.set(key, null);
    try {
      const accepted = await this.record(alarm, idempotencyKey);
      // The answer an unknown key gets: the key authenticated, but its tenant is gone by the time of the write.
      if (!accepted) throw new Unauthorized();
      return accepted;
    } finally {
      setImmediate(() => this.justDecided.delete(key));
    }
  }

  async findByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<string | null> {
    return this.holderOf(tenantId, idempotencyKey);
  }

  private holderOf(tenantId: string, idempotencyKey: string): string | null {
    return (this.idemGet.get(tenantId, idempotencyKey) as { alarm_id: string } | undefined)?.alarm_id ?? null;
  }

  /** This store for code running inside a transaction (a stage handler, an API mutation); it shares the waiters. */
  joining(): SqliteAlarms {
    return Object.assign(Object.create(this) as SqliteAlarms, { joins: true });
  }

  private record(alarm: Alarm, idempotencyKey: string | undefined) {
    const write = () => {
      // Authenticated before its tenant's erase, group-committed after it: writing would bring the tenant back.
      // Refused by returning, not throwing: a throw would redo the whole group commit with savepoints.
      if (this.erased(alarm.tenant_id)) return null;
      if (idempotencyKey) {
        const prior = this.holderOf(alarm.tenant_id, idempotencyKey);
        if (prior) return { alarm_id: prior, duplicate: true };
        this.idemPut.run(alarm.tenant_id, idempotencyKey, alarm.alarm_id, alarm.received_at);
      }
      const key = `${alarm.tenant_id}/${alarm.alarm_id}`;
      // A second accept of the same alarm id keeps the first row, as INSERT OR IGNORE would.
      if (!this.rows.get(key)) this.put(key, { tenantId: alarm.tenant_id, alarmId: alarm.alarm_id, receivedAt: alarm.received_at, outcome: null });
      this.writer.enqueue([makeEvent("alarm.received", alarm.tenant_id, alarm.alarm_id, alarm, alarm.received_at)]);
      return { alarm_id: alarm.alarm_id, duplicate: false };
    };
    return this.joins ? this.writer.join(write) : this.writer.write(write);
  }

  async get(tenantId: string, alarmId: string): Promise<AlarmState | null> {
    // A row pending in this transaction is either new (no stored outcome yet) or carries the outcome just decided.
    const row = this.rows.get(`${tenantId}/${alarmId}`) ?? (this.alarmGet.get(tenantId, alarmId) as { outcome: string | null } | undefined);
    if (!row) return null;
    if (!row.outcome) return { alarm_id: alarmId, status: "queued" };
    const outcome = JSON.parse(row.outcome) as Outcome;
    return { ...outcome, recommendations: await this.recommendationsOf(tenantId, outcome.incident_id) };
  }

  async putOutcome(tenantId: string, outcome: Outcome) {
    const key = `${tenantId}/${outcome.alarm_id}`;
    const stored = JSON.stringify({ ...outcome, recommendations: [] });
    const prev = this.rows.get(key);
    this.put(key, { tenantId, alarmId: outcome.alarm_id, receivedAt: prev?.receivedAt ?? null, outcome: stored });
    this.writer.afterCommit(() => this.wake(key, outcome));
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
