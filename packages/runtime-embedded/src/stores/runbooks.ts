import type { PageQuery, Runbook, RunbookStore } from "@ir/core";
import type { Db } from "../db";
import { decodeCursor, pageOf } from "./page";

export class SqliteRunbooks implements RunbookStore {
  constructor(private readonly db: Db) {}
  async get(tenantId: string, runbookId: string) {
    const row = this.db.prepare("SELECT doc FROM runbooks WHERE tenant_id = ? AND runbook_id = ?").get(tenantId, runbookId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Runbook) : null;
  }
  async put(r: Runbook) {
    this.db.prepare("INSERT OR REPLACE INTO runbooks (tenant_id, runbook_id, doc) VALUES (?, ?, ?)").run(r.tenant_id, r.runbook_id, JSON.stringify(r));
  }
  async delete(tenantId: string, runbookId: string) {
    return this.db.prepare("DELETE FROM runbooks WHERE tenant_id = ? AND runbook_id = ?").run(tenantId, runbookId).changes > 0;
  }
  async list(tenantId: string, q: PageQuery) {
    const after = decodeCursor(q.cursor);
    const rows = this.db.prepare(`SELECT runbook_id, doc FROM runbooks WHERE tenant_id = ? ${after ? "AND runbook_id > ?" : ""} ORDER BY runbook_id LIMIT ?`)
      .all(...(after ? [tenantId, String(after[0]), q.limit + 1] : [tenantId, q.limit + 1])) as Array<{ runbook_id: string; doc: string }>;
    return pageOf(rows, q.limit, (r) => JSON.parse(r.doc) as Runbook, (r) => [r.runbook_id]);
  }
  async count(tenantId: string) {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM runbooks WHERE tenant_id = ?").get(tenantId) as { n: number }).n;
  }
}
