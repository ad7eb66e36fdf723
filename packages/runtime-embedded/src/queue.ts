import { routesFor, type PipelineEvent, type StageName } from "@ir/core";
import type { Db } from "./db";

export interface QueuedMessage { seq: number; stage: StageName; event_id: string; tenant_id: string; type: string; body: string; attempts: number }

/** The event whose handler talks to the network: claimed apart from the rest, fairly across tenants. */
export const NETWORK_SEND = "notification.send";

/** A send waiting for a slot; `turn` is its place among its tenant's sends that are due (1 = next). */
export interface WaitingSend extends QueuedMessage { visible_at: number; turn: number }

/**
 * The local stand-in for SQS + EventBridge: publishing an event inserts one row per stage the graph
 * routes it to. Rows are deleted in the same transaction that applies their effects, so a crash either
 * keeps the message (redelivered) or its effects (done) — never one without the other.
 */
export class LocalQueue {
  private readonly insert;
  private readonly claimStmt;
  private readonly claimSendsStmt;
  private readonly sendDueStmt;
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
    // The literal type is what lets SQLite use the partial index queue_sends (schema.sql).
    this.claimStmt = db.prepare(`SELECT seq, stage, event_id, tenant_id, type, body, attempts FROM queue WHERE stage = ? AND visible_at <= ? AND type <> '${NETWORK_SEND}' ORDER BY seq LIMIT ?`);
    // Each tenant's due sends in the order they became due (a retry at its retry time, not at its first
    // seq), numbered per tenant; only the first `turns` of each are read in full.
    this.claimSendsStmt = db.prepare(`WITH due AS (
        SELECT seq, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY visible_at, seq) AS turn
        FROM queue WHERE stage = ? AND type = '${NETWORK_SEND}' AND visible_at <= ?)
      SELECT q.seq, q.stage, q.event_id, q.tenant_id, q.type, q.body, q.attempts, q.visible_at, due.turn
      FROM due JOIN queue q ON q.seq = due.seq WHERE due.turn <= ?`);
    this.sendDueStmt = db.prepare(`SELECT 1 FROM queue WHERE stage = ? AND type = '${NETWORK_SEND}' AND visible_at <= ? LIMIT 1`);
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

  /** Visible messages of a stage other than network sends, oldest first. `attempts` counts the failed tries before this one. */
  claim(stage: StageName, limit: number, nowMs: number): QueuedMessage[] {
    return this.claimStmt.all(stage, nowMs, limit) as QueuedMessage[];
  }

  /** Due network sends of a stage: at most the first `turns` of each tenant, in no particular order. */
  waitingSends(stage: StageName, turns: number, nowMs: number): WaitingSend[] {
    return this.claimSendsStmt.all(stage, nowMs, turns) as WaitingSend[];
  }

  hasDueSends(stage: StageName, nowMs: number): boolean { return this.sendDueStmt.get(stage, nowMs) !== undefined; }

  /** Hide a message worked on outside a transaction (a network send) until `untilMs`: a crash mid-send retries it then. */
  lease(seq: number, untilMs: number) { this.leaseStmt.run(untilMs, seq); }

  ack(seq: number) { this.ackStmt.run(seq); }
  retryAt(seq: number, atMs: number) { this.retryStmt.run(atMs, seq); }

  /** `tenantId`: whose it is when the message does not say (a raw message, known once its key was read; see Poison). */
  deadLetter(msg: QueuedMessage, reason: string, at: string, tenantId = msg.tenant_id) {
    // Only a message still queued: a send that fails after its tenant was erased must not write the erased
    // tenant's data back as a dead letter.
    if (this.ackStmt.run(msg.seq).changes === 0) return;
    this.deadStmt.run(`dl_${msg.seq}`, msg.stage, tenantId, msg.type, msg.body, reason.slice(0, 2000), msg.attempts, at);
  }

  /** A hand-off that never reached the queue (it failed in memory) and can never succeed. */
  deadLetterEvent(stage: StageName, e: PipelineEvent, reason: string, at: string, tenantId = e.tenant_id) {
    this.deadStmt.run(`dl_${stage}_${e.id}`, stage, tenantId, e.type, JSON.stringify(e), reason.slice(0, 2000), 1, at);
  }

  nextVisibleAt(): number | null { return (this.nextVisibleStmt.get() as { t: number | null }).t; }

  depth(): Record<string, number> {
    return Object.fromEntries((this.depthStmt.all() as Array<{ stage: string; n: number }>).map((r) => [r.stage, r.n]));
  }
}
