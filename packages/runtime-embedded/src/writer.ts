import { AsyncLocalStorage } from "node:async_hooks";
import type { Clock, PipelineEvent } from "@ir/core";
import type { Tx } from "./db";
import type { LocalQueue } from "./queue";

/**
 * Every write of the embedded runtime goes through here, so that (a) a stage's effects and its queue
 * hand-off commit together and (b) concurrent HTTP accepts share one commit per event-loop tick.
 */
export class Writer {
  private readonly inTx = new AsyncLocalStorage<true>();
  private pending: Array<{ fn: () => unknown; resolve: (v: any) => void; reject: (e: unknown) => void }> = [];

  constructor(
    private readonly tx: Tx,
    private readonly queue: LocalQueue,
    private readonly clock: Clock,
    private readonly onEnqueued: () => void,
  ) {}

  /** Run a write in a transaction: inline when already inside one, otherwise group-committed with its neighbours. */
  write<T>(fn: () => T): Promise<T> {
    if (this.inTx.getStore()) return Promise.resolve(fn());
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** An async unit of work (a stage batch, an API mutation) with exclusive use of the store. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.inTx.getStore()) return Promise.resolve(fn());
    return this.tx.exclusive(() => this.inTx.run(true, fn));
  }

  savepoint<T>(fn: () => Promise<T> | T): Promise<T> { return this.tx.savepoint(fn); }

  /** Queue events for their stages; only valid inside a write. */
  enqueue(events: PipelineEvent[]) {
    if (!this.inTx.getStore()) throw new Error("enqueue outside a transaction");
    if (this.queue.publish(events, this.clock.now().getTime()) > 0) this.tx.whenCommitted(this.onEnqueued);
  }

  afterCommit(fn: () => void) {
    if (this.inTx.getStore()) this.tx.whenCommitted(fn); else fn();
  }

  private flush() {
    const batch = this.pending;
    this.pending = [];
    const results: Array<{ ok: true; v: unknown } | { ok: false; e: unknown }> = [];
    this.exclusive(() => {
      for (const p of batch) {
        try { results.push({ ok: true, v: this.tx.savepointSync(p.fn) }); } catch (e) { results.push({ ok: false, e }); }
      }
    }).then(
      () => batch.forEach((p, i) => { const r = results[i]; if (r.ok) p.resolve(r.v); else p.reject(r.e); }),
      (err) => batch.forEach((p) => p.reject(err)),
    );
  }
}
