import type { Clock, PipelineEvent } from "@ir/core";
import { failsTheUnit, RedoCarefully, type Tx } from "./db";
import type { LocalQueue } from "./queue";

/**
 * A group commit takes every write waiting, up to this many; beyond it, this many or half of those waiting,
 * whichever is more. Whole, the requests of a closed-loop load fall into one cohort: this thread decides all
 * of them while the HTTP thread waits, then waits while the HTTP thread answers them and reads the next ones
 * (traced at 32 clients: idle 40% of the time). Split, one part is decided while the other is on the wire.
 * Below 16 a commit's fixed costs show.
 */
export const GROUP_SPLIT_ABOVE = 16;

/** What one group-committed write came to. */
type Result = { ok: true; v: unknown } | { ok: false; e: unknown };

/**
 * Every write of the embedded runtime goes through here, so that (a) a stage's effects and its queue
 * hand-off commit together and (b) concurrent HTTP accepts share commits (see GROUP_SPLIT_ABOVE).
 *
 * Code inside a transaction says so by calling `join` (through the ports it was given: see
 * createEmbeddedPorts), not by being looked up in an AsyncLocalStorage: that would put promise hooks on
 * every promise of the process, ~7% of the deciding thread's time at full load.
 */
export class Writer {
  /** A flush is due (scheduled, or to follow the group committing now). */
  private flushing = false;
  private pending: Array<{ fn: () => unknown; resolve: (v: any) => void; reject: (e: unknown) => void }> = [];
  private carrier: ((events: PipelineEvent[]) => Promise<boolean>) | null = null;
  /** Events enqueued by the group-committed writes now running; null outside a group commit. */
  private carried: PipelineEvent[] | null = null;

  constructor(
    private readonly tx: Tx,
    private readonly queue: LocalQueue,
    private readonly clock: Clock,
    private readonly onEnqueued: () => void,
  ) {}

  /** Run a write in a transaction of its own, group-committed with its neighbours. Never from inside a transaction: it would wait for it. */
  write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve, reject });
      if (!this.flushing) { this.flushing = true; setImmediate(() => this.flush()); }
    });
  }

  /** Run a write as part of the transaction the caller is in. */
  join<T>(fn: () => T): Promise<T> {
    if (!this.tx.open) return Promise.reject(new Error("join outside a transaction"));
    return Promise.resolve(fn());
  }

  /** An async unit of work (a stage batch, an API mutation) with exclusive use of the store. Not nestable. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.tx.exclusive(fn);
  }

  /** The store to oneself between transactions (the checkpointer restarting the WAL); see Tx.hold. */
  hold(): Promise<() => void> { return this.tx.hold(); }

  savepoint<T>(fn: () => Promise<T> | T): Promise<T> { return this.tx.savepoint(fn); }

  /**
   * Events enqueued by group-committed writes (accepted alarms) are handed to `carrier` inside the same
   * transaction instead of being queued: the alarm is accepted and decided by one commit, and its queue
   * row, which would be inserted and deleted again before anyone else could see it, is never written.
   * A carrier that declines (a stopped pipeline) returns false, and the events are queued as usual.
   */
  carryWith(carrier: (events: PipelineEvent[]) => Promise<boolean>) { this.carrier = carrier; }

  /** Queue events for their stages; only valid inside a write. */
  enqueue(events: PipelineEvent[]) {
    if (!this.tx.open) throw new Error("enqueue outside a transaction");
    if (this.carried) { this.carried.push(...events); return; }
    if (this.queue.publish(events, this.clock.now().getTime()) > 0) this.tx.whenCommitted(this.onEnqueued);
  }

  afterCommit(fn: () => void) {
    if (this.tx.open) this.tx.whenCommitted(fn); else fn();
  }

  private flush() {
    const batch = this.pending.splice(0, Math.max(GROUP_SPLIT_ABOVE, Math.ceil(this.pending.length / 2)));
    // First without a savepoint per write and per stage run; if anything fails, the whole batch is redone with them.
    this.commit(batch, true)
      .catch((err) => (err instanceof RedoCarefully ? this.commit(batch, false) : Promise.reject(err)))
      // Failed as a whole, past what a savepoint contains (SQLite rolled the transaction back, a write-back threw at
      // COMMIT): each write again in a transaction of its own, so that one bad write fails only its own request.
      .catch((err) => (batch.length > 1 ? this.oneByOne(batch) : Promise.reject(err)))
      .then(
        (results) => batch.forEach((p, i) => { const r = results[i]; if (r.ok) p.resolve(r.v); else p.reject(r.e); }),
        (err) => batch.forEach((p) => p.reject(err)),
      )
      // Writes that came in meanwhile (or the other half) go next, after this group's answers are out.
      .finally(() => { if (this.pending.length) setImmediate(() => this.flush()); else this.flushing = false; });
  }

  private async oneByOne(batch: typeof this.pending) {
    const results: Result[] = [];
    for (const p of batch) results.push(...(await this.commit([p], false).catch((e: unknown) => [{ ok: false as const, e }])));
    return results;
  }

  private commit(batch: typeof this.pending, optimistic: boolean) {
    const results: Result[] = [];
    return this.exclusive(async () => {
      this.tx.optimistic = optimistic;
      const carried: PipelineEvent[] = [];
      this.carried = this.carrier ? carried : null;
      try {
        for (const p of batch) {
          const mark = carried.length;
          try {
            results.push({ ok: true, v: this.tx.savepointSync(p.fn) });
          } catch (e) {
            if (failsTheUnit(e)) throw e;
            carried.length = mark;
            results.push({ ok: false, e });
          }
        }
        this.carried = null;
        if (carried.length && !(await this.carrier!(carried))) this.enqueue(carried);
      } finally {
        this.carried = null;
        this.tx.optimistic = false;
      }
      return results;
    });
  }
}
