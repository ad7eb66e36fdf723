import type { KvStore, UsageMeter } from "@ir/core";
import type { Db, Tx } from "../db";
import { WriteBack } from "../write-back";

const SEP = "\u0000";
/** Tokens of counted steps (see UsageMeter.addAll): no metric name starts with this. */
const ONCE = "\u0001once:";
/** Tenant ids and periods never hold the separator; a counter may (it can name a service, which a source chose). */
const unkey = (key: string): [string, string, string] => {
  const a = key.indexOf(SEP);
  const b = key.indexOf(SEP, a + 1);
  return [key.slice(0, a), key.slice(a + 1, b), key.slice(b + 1)];
};

export class SqliteUsage implements UsageMeter {
  private readonly addStmt;
  private readonly tokenPut;
  private readonly tokenDelete;
  /**
   * Adds inside a transaction are summed per counter and written once before COMMIT: a storm bumps the
   * same few counters for every alarm of a batch.
   */
  private readonly pending: WriteBack<number>;
  constructor(private readonly db: Db, tx: Tx) {
    this.addStmt = db.prepare("INSERT INTO usage (tenant_id, period, counter, n) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n");
    this.pending = tx.track(new WriteBack<number>((key, n) => this.addStmt.run(...unkey(key), n)));
    this.tokenPut = db.prepare("INSERT OR IGNORE INTO usage (tenant_id, period, counter, n) VALUES (?, ?, ?, 1)");
    this.tokenDelete = db.prepare("DELETE FROM usage WHERE tenant_id = ? AND period = ? AND counter = ?");
  }
  async add(tenantId: string, period: string, counter: string, n: number) {
    if (!this.pending.active) { this.addStmt.run(tenantId, period, counter, n); return; }
    const key = [tenantId, period, counter].join(SEP);
    this.pending.set(key, (this.pending.get(key) ?? 0) + n);
  }
  /**
   * Here a step's writes commit together with the record that it is done, so a retry never finds it counted; the
   * token is kept all the same (as a counter no metric name starts with), so that the contract holds for any caller.
   * Tokens are written straight away, not summed until COMMIT: savepoints roll them back like any statement.
   */
  async addAll(tenantId: string, period: string, counts: Record<string, number>, once?: string) {
    if (once !== undefined && this.tokenPut.run(tenantId, period, ONCE + once).changes === 0) return;
    for (const [counter, n] of Object.entries(counts)) await this.add(tenantId, period, counter, n);
  }

  async forget(tenantId: string, period: string, once: string) {
    this.tokenDelete.run(tenantId, period, ONCE + once);
  }

  async get(tenantId: string, period: string) {
    const rows = this.db.prepare("SELECT counter, n FROM usage WHERE tenant_id = ? AND period = ?").all(tenantId, period) as Array<{ counter: string; n: number }>;
    const counts: Record<string, number> = Object.fromEntries(rows.filter((r) => !r.counter.startsWith(ONCE)).map((r) => [r.counter, r.n]));
    for (const [key, n] of this.pending.entries()) {
      const [t, p, c] = unkey(key);
      if (t === tenantId && p === period) counts[c] = (counts[c] ?? 0) + n;
    }
    return counts;
  }
}

export class SqliteKv implements KvStore {
  private readonly getStmt;
  private readonly putStmt;
  /** Values are kept serialized, so a caller mutating what it got cannot change what is stored. */
  private readonly pending: WriteBack<string>;
  /** Set on the view `joining()` returns: updates run in the caller's transaction instead of one of their own. */
  private readonly joins: boolean = false;
  constructor(db: Db, private readonly tx: Tx) {
    this.getStmt = db.prepare("SELECT value FROM kv WHERE tenant_id = ? AND key = ?");
    this.putStmt = db.prepare("INSERT OR REPLACE INTO kv (tenant_id, key, value) VALUES (?, ?, ?)");
    this.pending = tx.track(new WriteBack<string>((k, v) => {
      const at = k.indexOf("\u0000");
      this.putStmt.run(k.slice(0, at), k.slice(at + 1), v);
    }));
  }
  async get<T>(tenantId: string, key: string) { return this.read<T>(tenantId, key); }
  async put<T>(tenantId: string, key: string, value: T) { this.write(tenantId, key, value); }
  private read<T>(tenantId: string, key: string): T | null {
    const pending = this.pending.get(`${tenantId}\u0000${key}`);
    if (pending !== undefined) return JSON.parse(pending) as T;
    const row = this.getStmt.get(tenantId, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : null;
  }
  private write<T>(tenantId: string, key: string, value: T) {
    if (this.pending.active) this.pending.set(`${tenantId}\u0000${key}`, JSON.stringify(value));
    else this.putStmt.run(tenantId, key, JSON.stringify(value));
  }
  /**
   * Read and write with no await between them, so nothing else in this process interleaves. Outside a
   * transaction (a notification send) it takes one of its own: written between another transaction's awaits,
   * it would share that transaction's fate, and a rolled-back message would take it along.
   */
  async update<T>(tenantId: string, key: string, fn: (current: T | null) => T | undefined): Promise<T | null> {
    const apply = () => {
      const current = this.read<T>(tenantId, key);
      const next = fn(current);
      if (next === undefined) return current;
      this.write(tenantId, key, next);
      return next;
    };
    return this.joins ? apply() : this.tx.exclusive(apply);
  }
  /** This store for code already inside a transaction (stage handlers, API mutations). */
  joining(): SqliteKv {
    return Object.assign(Object.create(this) as SqliteKv, { joins: true });
  }
}
