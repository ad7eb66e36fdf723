import { parseEvent, Poison, RetryLater, STAGE_NAMES, STAGES, type Ports, type StageHandler, type StageName } from "@ir/core";
import type { LocalQueue, QueuedMessage } from "./queue";
import type { Writer } from "./writer";

/** Events whose handlers talk to the network and write nothing locally: run outside the store lock, many at once. */
const EXTERNAL = new Set(["notification.send"]);
const MAX_IN_FLIGHT_SENDS = 16;
/** Messages per transaction: larger batches amortize the commit, smaller ones keep latency low under load. */
const BATCH = 256;

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
    private readonly handlers: Record<StageName, StageHandler>,
  ) {}

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
      let progressed = true;
      while (progressed && !this.stopped) {
        progressed = false;
        for (const stage of STAGE_NAMES) progressed = (await this.runStage(stage)) || progressed;
      }
    } catch (err) {
      this.ports.log.error({ err }, "pump failed; retrying");
    } finally {
      this.running = false;
    }
    this.armTimer();
    if (this.inFlight === 0 && !this.hasDue()) for (const r of this.idleWaiters.splice(0)) r();
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

  private async runStage(stage: StageName): Promise<boolean> {
    const spec = STAGES[stage];
    const leaseMs = spec.timeoutSeconds * 1000;
    const external: QueuedMessage[] = [];
    const n = await this.writer.exclusive(async () => {
      const msgs = this.queue.claim(stage, BATCH, Date.now(), leaseMs);
      for (const msg of msgs) {
        if (EXTERNAL.has(msg.type)) { external.push(msg); continue; }
        await this.handle(stage, msg);
      }
      return msgs.length;
    });
    for (const msg of external) this.sendDetached(stage, msg);
    return n > 0;
  }

  private async handle(stage: StageName, msg: QueuedMessage) {
    const handler = this.handlers[stage];
    try {
      await this.writer.savepoint(async () => {
        const event = parseEvent(JSON.parse(msg.body));
        const out = await handler(event, this.ports);
        this.writer.enqueue(out);
        this.queue.ack(msg.seq);
      });
    } catch (err) {
      this.failed(stage, msg, err);
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
    const spec = STAGES[stage];
    const log = this.ports.log.child({ stage, event_id: msg.event_id, tenant_id: msg.tenant_id, attempt: msg.attempts });
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (err instanceof Poison || msg.attempts >= spec.maxAttempts || err instanceof SyntaxError || isZodError(err)) {
      log.warn({ reason }, "dead-lettered");
      this.queue.deadLetter(msg, reason, new Date().toISOString());
      return;
    }
    const delay = Math.max(err instanceof RetryLater ? err.delayMs : 0, backoffMs(msg.attempts));
    log.info({ reason, delay_ms: Math.round(delay) }, "will retry");
    this.queue.retryAt(msg.seq, Date.now() + delay);
  }
}

const isZodError = (err: unknown) => typeof err === "object" && err !== null && (err as { name?: string }).name === "ZodError";
