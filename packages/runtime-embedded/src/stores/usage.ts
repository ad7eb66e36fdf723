import type { KvStore, UsageMeter } from "@ir/core";
import type { Db, Tx } from "../db";
import { WriteBack } from "../write-back";

export class SqliteUsage implements UsageMeter {
  private readonly addStmt;
  constructor(private readonly db: Db) {
    this.addStmt = db.prepare("INSERT INTO usage (tenant_id, period, counter, n) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n RETURNING n");
  }
  async add(tenantId: string, period: string, counter: string, n: number) {
    return (this.addStmt.get(tenantId, period, counter, n) as { n: number }).n;
  }
  async get(tenantId: string, period: string) {
    const rows = this.db.prepare("SELECT counter, n FROM usage WHERE tenant_id = ? AND period = ?").all(tenantId, period) as Array<{ counter: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.counter, r.n]));
  }
}

export class SqliteKv implements KvStore {
  private readonly getStmt;
  private readonly putStmt;
  /** Values are kept serialized, so a caller mutating what it got cannot change what is stored. */
  private readonly pending: WriteBack<string>;
  constructor(db: Db, tx: Tx) {
    this.getStmt = db.prepare("SELECT value FROM kv WHERE tenant_id = ? AND key = ?");
    this.putStmt = db.prepare("INSERT OR REPLACE INTO kv (tenant_id, key, value) VALUES (?, ?, ?)");
    this.pending = tx.track(new WriteBack<string>((k, v) => {
      const at = k.indexOf("\u0000");
      this.putStmt.run(k.slice(0, at), k.slice(at + 1), v);
    }));
  }
  async get<T>(tenantId: string, key: string) {
    const pending = this.pending.get(`${tenantId}\u0000${key}`);
    if (pending !== undefined) return JSON.parse(pending) as T;
    const row = this.getStmt.get(tenantId, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : null;
  }
  async put<T>(tenantId: string, key: string, value: T) {
    if (this.pending.active) this.pending.set(`${tenantId}\u0000${key}`, JSON.stringify(value));
    else this.putStmt.run(tenantId, key, JSON.stringify(value));
  }
}
