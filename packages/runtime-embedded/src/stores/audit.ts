import type { AuditEvent, AuditLog, PageQuery } from "@ir/core";
import type { Db } from "../db";
import { decodeCursor, pageOf } from "./page";

/** Append-only: the API has no route that updates or deletes a row; only a tenant erase removes them. */
export class SqliteAudit implements AuditLog {
  constructor(private readonly db: Db) {}
  async append(e: AuditEvent) {
    this.db.prepare("INSERT INTO audit (tenant_id, doc) VALUES (?, ?)").run(e.tenant_id, JSON.stringify(e));
  }
  async list(tenantId: string, q: PageQuery) {
    const after = decodeCursor(q.cursor);
    const rows = this.db.prepare(`SELECT seq, doc FROM audit WHERE tenant_id = ? ${after ? "AND seq < ?" : ""} ORDER BY seq DESC LIMIT ?`)
      .all(...(after ? [tenantId, Number(after[0]), q.limit + 1] : [tenantId, q.limit + 1])) as Array<{ seq: number; doc: string }>;
    return pageOf(rows, q.limit, (r) => JSON.parse(r.doc) as AuditEvent, (r) => [r.seq]);
  }
}
