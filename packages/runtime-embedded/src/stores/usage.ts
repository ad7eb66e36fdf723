import type { KvStore, UsageMeter } from "@ir/core";
import type { Db } from "../db";

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
  constructor(db: Db) {
    this.getStmt = db.prepare("SELECT value FROM kv WHERE tenant_id = ? AND key = ?");
    this.putStmt = db.prepare("INSERT OR REPLACE INTO kv (tenant_id, key, value) VALUES (?, ?, ?)");
  }
  async get<T>(tenantId: string, key: string) {
    const row = this.getStmt.get(tenantId, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : null;
  }
  async put<T>(tenantId: string, key: string, value: T) {
    this.putStmt.run(tenantId, key, JSON.stringify(value));
  }
}
