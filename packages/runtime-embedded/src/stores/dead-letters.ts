import type { DeadLetter, DeadLetters, EventType, PageQuery } from "@ir/core";
import type { Db } from "../db";
import { decodeCursor, pageOf } from "./page";

/** Dead letters are kept until replayed: replay puts the message back on its stage's queue with a fresh attempt count. */
export class SqliteDeadLetters implements DeadLetters {
  constructor(private readonly db: Db, private readonly onReplay: () => void) {}

  /** Newest first. Not by id: ids are text (`dl_<seq>`), and dl_99 sorts after dl_300. */
  async list(tenantId: string | null, q: PageQuery) {
    const after = decodeCursor(q.cursor);
    const where = [tenantId === null ? "1 = 1" : "tenant_id = ?", after ? "(failed_at, id) < (?, ?)" : "1 = 1"];
    const args = [...(tenantId === null ? [] : [tenantId]), ...(after ? [String(after[0]), String(after[1])] : [])];
    const rows = this.db.prepare(`SELECT * FROM dead_letters WHERE ${where.join(" AND ")} ORDER BY failed_at DESC, id DESC LIMIT ?`).all(...args, q.limit + 1) as Array<DeadLetter & { type: EventType }>;
    return pageOf(rows, q.limit, (r) => ({ id: r.id, stage: r.stage, tenant_id: r.tenant_id, event_type: r.type, reason: r.reason, failed_at: r.failed_at, attempts: r.attempts, body: r.body }), (r) => [r.failed_at, r.id]);
  }

  async replay(tenantId: string | null, id: string) {
    const row = this.db.prepare(`SELECT * FROM dead_letters WHERE id = ? ${tenantId === null ? "" : "AND tenant_id = ?"}`).get(...(tenantId === null ? [id] : [id, tenantId])) as
      | { stage: string; tenant_id: string; type: string; body: string } | undefined;
    if (!row) return false;
    const event = JSON.parse(row.body) as { id: string };
    this.db.transaction(() => {
      this.db.prepare("INSERT OR REPLACE INTO queue (stage, event_id, tenant_id, type, body, visible_at) VALUES (?, ?, ?, ?, ?, ?)")
        .run(row.stage, event.id, row.tenant_id, row.type, row.body, Date.now());
      this.db.prepare("DELETE FROM dead_letters WHERE id = ?").run(id);
    })();
    this.onReplay();
    return true;
  }
}
