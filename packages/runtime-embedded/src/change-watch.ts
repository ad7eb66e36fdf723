import type { Db, Tx } from "./db";

/** How often the server looks for commits by other connections: a key revoked by `ir keys revoke` stops working within this. */
const WATCH_EVERY_MS = 250;

/**
 * Notices commits by other connections to the store (an `ir` command run while the server is up), whose
 * effects this process's caches would otherwise hide: a revoked key that keeps authenticating, runbooks
 * imported but never recommended.
 *
 * SQLite's `PRAGMA data_version` changes when another connection has committed, never for this
 * connection's own commits. Reading it outside a transaction opens a read transaction (~4 µs measured),
 * so it is read on a timer, not per request: the hot path pays nothing.
 *
 * Checkpoints by the checkpointer thread's connection: PASSIVE and RESTART leave data_version alone;
 * TRUNCATE changes it, because it rewrites the WAL header (test/change-watch.test.ts). The checkpointer
 * truncates only after a second without any write, with a WAL past 64 MB, so the cost is one needless drop
 * of caches that refill cheaply, at a quiet moment; that is why the costly one, the vector index, is not
 * dropped on a change (see createEmbeddedPorts).
 */
export class ChangeWatch {
  private readonly version;
  private seen: number;
  private timer: NodeJS.Timeout | null = null;
  /** A look is registered for the end of the transaction in progress. */
  private waiting = false;

  constructor(db: Db, private readonly tx: Tx, private readonly onChange: () => void) {
    this.version = db.prepare("PRAGMA data_version").pluck();
    this.seen = this.version.get() as number;
    tx.whenRolledBack(() => { this.waiting = false; });
  }

  /** Looks now; true (after onChange ran) when another connection committed since the last look. */
  poll(): boolean {
    const v = this.version.get() as number;
    if (v === this.seen) return false;
    this.seen = v;
    this.onChange();
    return true;
  }

  start() {
    this.stop();
    this.timer = setInterval(this.tick, WATCH_EVERY_MS).unref();
  }

  /** Before the store closes: a look after it would throw. */
  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick = () => {
    if (this.waiting) return;
    if (!this.tx.open) { this.look(); return; }
    // Inside a transaction, reads see its uncommitted writes (an erase in progress, say): look once it commits.
    // A rollback drops the callback; `waiting` is cleared then, and the next tick looks again.
    this.waiting = true;
    this.tx.whenCommitted(() => { this.waiting = false; this.look(); });
  };

  private look() {
    // A failed look (the store closing under a test) is retried by the next tick; it must not kill the server.
    try { this.poll(); } catch { /* next tick */ }
  }
}
