import { parseEvent, Poison, RetryLater, routesFor, STAGE_NAMES, STAGES, withinRetryWindow, type StageSpec, type PipelineEvent, type Ports, type StageHandler, type StageName } from "@ir/core";
import { RedoCarefully } from "./db";
import type { LocalQueue, QueuedMessage } from "./queue";
import type { Writer } from "./writer";

/** Events whose handlers talk to the network and write nothing locally: run outside the store lock, many at once. */
const EXTERNAL = new Set(["notification.send"]);
const MAX_IN_FLIGHT_SENDS = 16;
/** Messages per transaction: larger batches amortize the commit, smaller ones keep latency low under load. */
const BATCH = 64;

/** Exponential backoff with full jitter, capped: the usual answer to a struggling dependency. */
export const backoffMs = (attempt: number) => Math.min(60_000, 500 * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2);

/**
 * Drains the local queue stage by stage, in graph order. Each batch runs in one transaction: the handler's
 * writes, the emitted events and the removal of the consumed message commit together, so kill -9 at any
 * point either redoes a message or finds it done.
 */
export class Pump {
  private running = false;
  private scheduled = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly queue: LocalQueue,
    private readonly writer: Writer,
    private readonly ports: Ports,
    /** The ports handlers get inside a pass's transaction (see createEmbeddedPorts); network sends run outside one. */
    private readonly inTransaction: Ports,
    private readonly handlers: Record<StageName, StageHandler>,
  ) {
    if (!process.env.IR_NO_CARRY) writer.carryWith(this.carry);
  }

  /** Something was enqueued or became due: drain soon. */
  kick = () => {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => { this.scheduled = false; void this.drain(); });
  };

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** For tests and shutdown: resolves when nothing is due and nothing is in flight. */
  idle(): Promise<void> {
    if (!this.running && this.inFlight === 0 && !this.hasDue()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private hasDue() {
    const t = this.queue.nextVisibleAt();
    return t !== null && t <= Date.now();
  }

  private async drain() {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      while (!this.stopped && (await this.pass())) { /* until a pass finds nothing to do */ }
    } catch (err) {
      this.ports.log.error({ err }, "pump failed; retrying");
    } finally {
      this.running = false;
    }
    this.armTimer();
    if (this.inFlight === 0 && !this.hasDue()) for (const r of this.idleWaiters.splice(0)) r();
  }

  private async pass(): Promise<boolean> {
    const external: Array<[StageName, QueuedMessage]> = [];
    const n = await this.writer.exclusive(() => this.runStages(new Map(), external));
    for (const [stage, msg] of external) this.sendDetached(stage, msg);
    return n > 0;
  }

  /** Events accepted by a group commit, carried through every stage inside that commit's transaction. */
  private carry = async (events: PipelineEvent[]): Promise<boolean> => {
    if (this.stopped) return false;
    const before = this.queue.inserted;
    const inbox = new Map<StageName, PipelineEvent[]>();
    this.route(events, -1, inbox);
    await this.runStages(inbox, null);
    // Outside a pass nothing would pick up what this queued (a network send, a retry): kick once committed.
    if (this.queue.inserted !== before) this.writer.afterCommit(this.kick);
    return true;
  };

  /**
   * One transaction carries a batch through every stage in graph order. Events for stages later in the
   * pass are handed over in memory: they would be inserted and deleted inside this same transaction, so
   * persisting them buys nothing (a crash rolls back the whole pass and its cause is redelivered).
   * With `external`, each stage first claims its queued messages; network sends are leased and collected.
   */
  private async runStages(inbox: Map<StageName, PipelineEvent[]>, external: Array<[StageName, QueuedMessage]> | null): Promise<number> {
    let handled = 0;
    for (const [i, stage] of STAGE_NAMES.entries()) {
      const route = (out: PipelineEvent[]) => this.route(out, i, inbox);
      const msgs = external ? this.queue.claim(stage, BATCH, Date.now()) : [];
      for (const msg of msgs) {
        if (EXTERNAL.has(msg.type)) { external!.push([stage, msg]); this.queue.lease(msg.seq, Date.now() + STAGES[stage].timeoutSeconds * 1000); continue; }
        await this.handle(stage, msg, route);
      }
      for (const event of inbox.get(stage) ?? []) await this.handleInMemory(stage, event, route);
      handled += msgs.length + (inbox.get(stage)?.length ?? 0);
    }
    return handled;
  }

  private route(out: PipelineEvent[], from: number, inbox: Map<StageName, PipelineEvent[]>) {
    const now = Date.now();
    for (const e of out) {
      for (const target of routesFor(e.type)) {
        if (STAGE_NAMES.indexOf(target) > from && !EXTERNAL.has(e.type)) (inbox.get(target) ?? inbox.set(target, []).get(target)!).push(e);
        else this.queue.publishTo(target, e, now, 0);
      }
    }
  }

  /** Sleep until the earliest delayed message (retry backoff, send lease) becomes visible. */
  private armTimer() {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const t = this.queue.nextVisibleAt();
    if (t === null) return;
    this.timer = setTimeout(this.kick, Math.max(5, Math.min(t - Date.now(), 60_000)));
    this.timer.unref();
  }

  private async handle(stage: StageName, msg: QueuedMessage, route: (out: PipelineEvent[]) => void) {
    const handler = this.handlers[stage];
    try {
      await this.writer.savepoint(async () => {
        const event = parseEvent(JSON.parse(msg.body));
        route(await handler(event, this.inTransaction));
        this.queue.ack(msg.seq);
      });
    } catch (err) {
      if (err instanceof RedoCarefully) throw err;
      this.failed(stage, msg, err);
    }
  }

  /** An in-memory hand-off that fails is persisted, so it is retried (or dead-lettered) like any queued message. */
  private async handleInMemory(stage: StageName, event: PipelineEvent, route: (out: PipelineEvent[]) => void) {
    try {
      await this.writer.savepoint(async () => route(await this.handlers[stage](event, this.inTransaction)));
    } catch (err) {
      if (err instanceof RedoCarefully) throw err;
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.ports.log.child({ stage, event_id: event.id, tenant_id: event.tenant_id, attempt: 1 }).info({ reason }, "will retry");
      if (err instanceof Poison || STAGES[stage].maxAttempts <= 1) this.queue.deadLetterEvent(stage, event, reason, new Date().toISOString());
      else this.queue.publishTo(stage, event, Date.now() + Math.max(err instanceof RetryLater ? err.delayMs : 0, backoffMs(1)), 1);
    }
  }

  /** Network sends: the lease taken at claim hides the message; success acks, failure schedules a retry. */
  private sendDetached(stage: StageName, msg: QueuedMessage) {
    this.inFlight++;
    const run = async () => {
      try {
        const event = parseEvent(JSON.parse(msg.body));
        const out = await this.handlers[stage](event, this.ports);
        await this.writer.exclusive(() => { this.writer.enqueue(out); this.queue.ack(msg.seq); });
      } catch (err) {
        await this.writer.exclusive(() => this.failed(stage, msg, err));
      }
    };
    const wait = (): Promise<unknown> => (this.inFlight > MAX_IN_FLIGHT_SENDS ? new Promise((r) => setTimeout(r, 10)).then(wait) : Promise.resolve());
    void wait().then(run).finally(() => { this.inFlight--; this.kick(); });
  }

  private failed(stage: StageName, msg: QueuedMessage, err: unknown) {
    const spec: StageSpec = STAGES[stage];
    const attempt = msg.attempts + 1;
    const stillWaiting = err instanceof RetryLater && withinRetryWindow(spec, eventTime(msg), Date.now());
    const log = this.ports.log.child({ stage, event_id: msg.event_id, tenant_id: msg.tenant_id, attempt });
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (err instanceof Poison || (attempt >= spec.maxAttempts && !stillWaiting) || err instanceof SyntaxError || isZodError(err)) {
      log.warn({ reason }, "dead-lettered");
      this.queue.deadLetter(msg, reason, new Date().toISOString());
      return;
    }
    const delay = Math.max(err instanceof RetryLater ? err.delayMs : 0, backoffMs(attempt));
    log.info({ reason, delay_ms: Math.round(delay) }, "will retry");
    this.queue.retryAt(msg.seq, Date.now() + delay);
  }
}

const eventTime = (msg: QueuedMessage): string => {
  try { return String((JSON.parse(msg.body) as { at?: unknown }).at ?? ""); } catch { return ""; }
};

const isZodError = (err: unknown) => typeof err === "object" && err !== null && (err as { name?: string }).name === "ZodError";
