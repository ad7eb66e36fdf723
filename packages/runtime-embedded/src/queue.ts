import { routesFor, type PipelineEvent, type StageName } from "@ir/core";
import type { Db } from "./db";

export interface QueuedMessage { seq: number; stage: StageName; event_id: string; tenant_id: string; type: string; body: string; attempts: number }

/**
 * The local stand-in for SQS + EventBridge: publishing an event inserts one row per stage the graph
 * routes it to. Rows are deleted in the same transaction that applies their effects, so a crash either
 * keeps the message (redelivered) or its effects (done) — never one without the other.
 */
export class LocalQueue {
  private readonly insert;
  private readonly claimStmt;
  private readonly leaseStmt;
  private readonly ackStmt;
  private readonly retryStmt;
  private readonly nextVisibleStmt;
  private readonly depthStmt;
  private readonly deadStmt;
  /** Rows inserted since start: lets a caller tell whether its transaction queued anything. */
  inserted = 0;

  constructor(private readonly db: Db) {
    // OR IGNORE: an event re-published with the same id (a redelivered cause) is queued once.
    this.insert = db.prepare("INSERT OR IGNORE INTO queue (stage, event_id, tenant_id, type, body, visible_at) VALUES (?, ?, ?, ?, ?, ?)");
    this.claimStmt = db.prepare("SELECT seq, stage, event_id, tenant_id, type, body, attempts FROM queue WHERE stage = ? AND visible_at <= ? ORDER BY seq LIMIT ?");
    this.leaseStmt = db.prepare("UPDATE queue SET visible_at = ? WHERE seq = ?");
    this.ackStmt = db.prepare("DELETE FROM queue WHERE seq = ?");
    this.retryStmt = db.prepare("UPDATE queue SET visible_at = ?, attempts = attempts + 1 WHERE seq = ?");
    this.nextVisibleStmt = db.prepare("SELECT MIN(visible_at) AS t FROM queue");
    this.depthStmt = db.prepare("SELECT stage, COUNT(*) AS n FROM queue GROUP BY stage");
    this.deadStmt = db.prepare("INSERT OR REPLACE INTO dead_letters (id, stage, tenant_id, type, body, reason, attempts, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  }

  publish(events: PipelineEvent[], nowMs: number): number {
    let n = 0;
    for (const e of events) {
      const body = JSON.stringify(e);
      for (const stage of routesFor(e.type)) n += this.insert.run(stage, e.id, e.tenant_id, e.type, body, nowMs).changes;
    }
    this.inserted += n;
    return n;
  }

  /** One event for one stage, e.g. a hand-off that failed in memory and must now wait for its retry. */
  publishTo(stage: StageName, e: PipelineEvent, visibleAtMs: number, attempts: number) {
    this.inserted += this.insert.run(stage, e.id, e.tenant_id, e.type, JSON.stringify(e), visibleAtMs).changes;
    if (attempts) this.db.prepare("UPDATE queue SET attempts = ? WHERE stage = ? AND event_id = ?").run(attempts, stage, e.id);
  }

  /** Visible messages of a stage, oldest first. `attempts` counts the failed tries before this one. */
  claim(stage: StageName, limit: number, nowMs: number): QueuedMessage[] {
    return this.claimStmt.all(stage, nowMs, limit) as QueuedMessage[];
  }

  /** Hide a message worked on outside a transaction (a network send) until `untilMs`: a crash mid-send retries it then. */
  lease(seq: number, untilMs: number) { this.leaseStmt.run(untilMs, seq); }

  ack(seq: number) { this.ackStmt.run(seq); }
  retryAt(seq: number, atMs: number) { this.retryStmt.run(atMs, seq); }

  deadLetter(msg: QueuedMessage, reason: string, at: string) {
    // Only a message still queued: a send that fails after its tenant was erased must not write the erased
    // tenant's data back as a dead letter.
    if (this.ackStmt.run(msg.seq).changes === 0) return;
    this.deadStmt.run(`dl_${msg.seq}`, msg.stage, msg.tenant_id, msg.type, msg.body, reason.slice(0, 2000), msg.attempts, at);
  }

  /** A hand-off that never reached the queue (it failed in memory) and can never succeed. */
  deadLetterEvent(stage: StageName, e: PipelineEvent, reason: string, at: string) {
    this.deadStmt.run(`dl_${stage}_${e.id}`, stage, e.tenant_id, e.type, JSON.stringify(e), reason.slice(0, 2000), 1, at);
  }

  nextVisibleAt(): number | null { return (this.nextVisibleStmt.get() as { t: number | null }).t; }

  depth(): Record<string, number> {
    return Object.fromEntries((this.depthStmt.all() as Array<{ stage: string; n: number }>).map((r) => [r.stage, r.n]));
  }
}
