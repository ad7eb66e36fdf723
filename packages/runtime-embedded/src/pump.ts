import { parseEvent, Poison, RetryLater, retriesExhausted, routesFor, STAGE_NAMES, STAGES, type StageSpec, type PipelineEvent, type Ports, type StageHandler, type StageName } from "@ir/core";
import { failsTheUnit } from "./db";
import { NETWORK_SEND, type LocalQueue, type QueuedMessage, type WaitingSend } from "./queue";
import type { Writer } from "./writer";

/** Events whose handlers talk to the network and write nothing locally: run outside the store lock, many at once. */
const EXTERNAL = new Set([NETWORK_SEND]);
/** The stages that consume them. */
const SENDS_TO = new Set(STAGE_NAMES.filter((s) => (STAGES[s].consumes as readonly string[]).some((t) => EXTERNAL.has(t))));
const MAX_IN_FLIGHT_SENDS = 16;
/**
 * The most send slots one tenant may hold. A receiver that never answers holds a slot for the whole request
 * timeout, and is retried for hours: without a cap, one tenant's hanging webhook would take every slot and
 * hold back every other tenant's pages. With it, it takes MAX_IN_FLIGHT_SENDS / 4 such tenants to fill them.
 * A tenant's own burst is paced by its receivers' rate limits (Slack: about one message a second) anyway.
 */
export const MAX_SENDS_PER_TENANT = 4;
/**
 * How long stop() waits for sends in flight: a send's DNS lookup and request time out after 5 s and 10 s
 * (see @ir/notify). One still running after that is redelivered when its lease expires.
 */
const STOP_WAIT_MS = 15_000;
/**
 * While every send slot is taken, the sends left queued are due already, so the timer would fire at once and
 * claim them again for nothing. The send that frees a slot kicks; the timer only has to catch other stages'
 * retries, which back off for at least this long anyway.
 */
const SATURATED_POLL_MS = 250;
/**
 * With nothing queued the pump still looks now and then: another process (`ir dlq replay`, any offline CLI
 * command) may have queued work in the shared store, and nothing in this one would kick for it.
 */
export const IDLE_POLL_MS = 5_000;
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
  /** The drain in progress, if any: stop() lets it finish, since it may start sends. */
  private draining: Promise<void> = Promise.resolve();
  /** Sends started and not yet recorded in the store. */
  private readonly sends = new Set<Promise<void>>();
  /** How many of those each tenant has. */
  private readonly sendsByTenant = new Map<string, number>();
  /** Sends finished since start: tells a pass whether a slot came free while it ran. */
  private sendsDone = 0;
  /** The last pass left sends queued for want of a free slot (its own, or its tenant's). */
  private sendsWaiting = false;
  private idleWaiters: Array<() => void> = [];
  /** Passes that failed as a whole in a row (see carefulPass); no pass starts before `retryAfter` while there are. */
  private failedPasses = 0;
  private retryAfter = 0;

  constructor(
    private readonly queue: LocalQueue,
    private readonly writer: Writer,
    private readonly ports: Ports,
    /** The ports handlers get inside a pass's transaction (see createEmbeddedPorts); network sends run outside one. */
    private readonly inTransaction: Ports,
    private readonly handlers: Record<StageName, StageHandler>,
    private readonly opts: { idlePollMs?: number } = {},
  ) {
    if (!process.env.IR_NO_CARRY) writer.carryWith(this.carry);
  }

  /** Something was enqueued or became due: drain soon. */
  kick = () => {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => { this.scheduled = false; if (!this.running) this.draining = this.drain(); });
  };

  /**
   * Stops claiming work; resolves once the sends in flight have recorded their outcome (or after STOP_WAIT_MS),
   * so that the store can be closed without failing them.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => { timer = setTimeout(r, STOP_WAIT_MS); });
    const settled = this.draining.then(() => Promise.allSettled(this.sends));
    await Promise.race([settled, timeout]);
    clearTimeout(timer);
  }

  /** For tests and shutdown: resolves when nothing is due and nothing is in flight. */
  idle(): Promise<void> {
    if (!this.running && this.sends.size === 0 && !this.hasDue()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private hasDue() {
    const t = this.queue.nextVisibleAt();
    return t !== null && t <= Date.now();
  }

  private async drain() {
    if (this.running || this.stopped) return;
    if (this.failedPasses > 0 && Date.now() < this.retryAfter) { this.armTimer(); return; }
    this.running = true;
    try {
      while (!this.stopped && (await (this.failedPasses > 0 ? this.carefulPass() : this.pass()))) { /* until a pass finds nothing to do */ }
    } catch (err) {
      this.backOff(err);
    } finally {
      this.running = false;
    }
    this.armTimer();
    if (this.sends.size === 0 && !this.hasDue()) for (const r of this.idleWaiters.splice(0)) r();
  }

  /** A failure no savepoint contained: the next passes wait, then take one message per transaction. */
  private backOff(err: unknown) {
    this.failedPasses++;
    const delay = backoffMs(this.failedPasses - 1);
    this.retryAfter = Date.now() + delay;
    this.ports.log.error({ err, failed_passes: this.failedPasses, retry_in_ms: Math.round(delay) }, "pump failed; retrying");
  }

  /**
   * After a pass failed as a whole (SQLite rolled it back: a full disk; a write that threw at COMMIT), one message
   * per transaction until none is due. The one that fails its own counts an attempt, in a transaction of its own,
   * and waits for its retry, to be dead-lettered after its stage's attempts like any failing message; without
   * this, it failed every pass, at once and forever, with every message behind it. When even that write fails
   * (the disk is still full), the pump backs off.
   */
  private async carefulPass(): Promise<boolean> {
    const claimed = await this.writer.exclusive(() => {
      for (const stage of STAGE_NAMES) {
        const [msg] = this.queue.claim(stage, 1, Date.now());
        if (msg) return [stage, msg] as const;
      }
      return null;
    });
    if (!claimed) { this.failedPasses = 0; return false; }
    const [stage, msg] = claimed;
    // What it emits is queued, not handed on in memory: the next stages run in transactions of their own too.
    const queued = (out: PipelineEvent[]) => this.route(out, STAGE_NAMES.length, new Map());
    try {
      await this.writer.exclusive(() => this.handle(stage, msg, queued));
    } catch (err) {
      await this.writer.exclusive(() => this.failed(stage, msg, err));
    }
    return true;
  }

  private async pass(): Promise<boolean> {
    const external: Array<[StageName, QueuedMessage]> = [];
    this.sendsWaiting = false;
    const doneBefore = this.sendsDone;
    const n = await this.writer.exclusive(() => this.runStages(new Map(), external));
    for (const [stage, msg] of external) this.sendDetached(stage, msg);
    // A send that finished during this pass kicked while it ran, which did nothing: look again for its slot.
    return n > 0 || (this.sendsWaiting && this.sendsDone !== doneBefore);
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
   * With `external`, each stage first claims its queued messages; network sends are leased and collected,
   * no more than there are free send slots: a send claimed but left waiting in memory could outlive its lease
   * and be claimed, and sent, a second time. The others stay queued, and are not counted as handled.
   */
  private async runStages(inbox: Map<StageName, PipelineEvent[]>, external: Array<[StageName, QueuedMessage]> | null): Promise<number> {
    let handled = 0;
    for (const [i, stage] of STAGE_NAMES.entries()) {
      const route = (out: PipelineEvent[]) => this.route(out, i, inbox);
      const msgs = external ? this.queue.claim(stage, BATCH, Date.now()) : [];
      for (const msg of msgs) { await this.handle(stage, msg, route); handled++; }
      if (external && SENDS_TO.has(stage)) {
        for (const msg of this.claimSends(stage)) {
          external.push([stage, msg]);
          this.queue.lease(msg.seq, Date.now() + STAGES[stage].timeoutSeconds * 1000);
          handled++;
        }
      }
      for (const event of inbox.get(stage) ?? []) await this.handleInMemory(stage, event, route);
      handled += inbox.get(stage)?.length ?? 0;
    }
    return handled;
  }

  /**
   * The free send slots, shared out by tenant: each goes to the due send whose tenant has the fewest sends in
   * flight, then to the one due longest (a retry counts from its retry time, so it does not jump ahead of a
   * newer first attempt), never past MAX_SENDS_PER_TENANT for one tenant.
   */
  private claimSends(stage: StageName): WaitingSend[] {
    const free = MAX_IN_FLIGHT_SENDS - this.sends.size;
    if (free <= 0) {
      this.sendsWaiting = this.queue.hasDueSends(stage, Date.now());
      return [];
    }
    const waiting = this.queue.waitingSends(stage, MAX_SENDS_PER_TENANT, Date.now());
    const level = (m: WaitingSend) => (this.sendsByTenant.get(m.tenant_id) ?? 0) + m.turn;
    const eligible = waiting.filter((m) => level(m) <= MAX_SENDS_PER_TENANT);
    eligible.sort((a, b) => level(a) - level(b) || a.visible_at - b.visible_at || a.seq - b.seq);
    const taken = eligible.slice(0, free);
    if (taken.length < waiting.length) this.sendsWaiting = true;
    return taken;
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

  /** A read only: a pass takes the write lock, which a CLI process may hold for seconds. */
  private idlePoll = () => { if (this.hasDue()) this.kick(); else this.armTimer(); };

  /** Sleep until the earliest delayed message (retry backoff, send lease) becomes visible. */
  private armTimer() {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const t = this.queue.nextVisibleAt();
    if (t === null) {
      this.timer = setTimeout(this.idlePoll, this.opts.idlePollMs ?? IDLE_POLL_MS);
      this.timer.unref();
      return;
    }
    const soonest = Math.max(this.sendsWaiting ? SATURATED_POLL_MS : 5, this.failedPasses > 0 ? this.retryAfter - Date.now() : 0);
    this.timer = setTimeout(this.kick, Math.max(soonest, Math.min(t - Date.now(), 60_000)));
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
      if (failsTheUnit(err)) throw err;
      this.failed(stage, msg, err);
    }
  }

  /** An in-memory hand-off that fails is persisted, so it is retried (or dead-lettered) like any queued message. */
  private async handleInMemory(stage: StageName, event: PipelineEvent, route: (out: PipelineEvent[]) => void) {
    try {
      await this.writer.savepoint(async () => route(await this.handlers[stage](event, this.inTransaction)));
    } catch (err) {
      if (failsTheUnit(err)) throw err;
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.ports.log.child({ stage, event_id: event.id, tenant_id: event.tenant_id, attempt: 1 }).info({ reason }, "will retry");
      if (err instanceof Poison || STAGES[stage].maxAttempts <= 1) this.queue.deadLetterEvent(stage, event, reason, new Date().toISOString(), ownerOf(err) ?? event.tenant_id);
      else this.queue.publishTo(stage, event, Date.now() + Math.max(err instanceof RetryLater ? err.delayMs : 0, backoffMs(1)), 1);
    }
  }

  /**
   * Network sends: the lease taken at claim hides the message; success acks, failure schedules a retry.
   * Nothing awaits a send, so it must not reject: when its outcome cannot be written (the store is full, or
   * closed under it), the lease expires and the message is redelivered.
   */
  private sendDetached(stage: StageName, msg: QueuedMessage) {
    const tenant = msg.tenant_id;
    const sent = this.send(stage, msg)
      .catch((err) => this.ports.log.child({ stage, event_id: msg.event_id, tenant_id: tenant }).error({ err }, "could not record a send; redelivered when its lease expires"))
      .finally(() => {
        this.sends.delete(sent);
        const left = (this.sendsByTenant.get(tenant) ?? 1) - 1;
        if (left > 0) this.sendsByTenant.set(tenant, left);
        else this.sendsByTenant.delete(tenant);
        this.sendsDone++;
        this.kick();
      });
    this.sends.add(sent);
    this.sendsByTenant.set(tenant, (this.sendsByTenant.get(tenant) ?? 0) + 1);
  }

  private async send(stage: StageName, msg: QueuedMessage) {
    let out: PipelineEvent[];
    try {
      out = await this.handlers[stage](parseEvent(JSON.parse(msg.body)), this.ports);
    } catch (err) {
      await this.writer.exclusive(() => this.failed(stage, msg, err));
      return;
    }
    await this.writer.exclusive(() => { this.writer.enqueue(out); this.queue.ack(msg.seq); });
  }

  private failed(stage: StageName, msg: QueuedMessage, err: unknown) {
    const spec: StageSpec = STAGES[stage];
    const attempt = msg.attempts + 1;
    const log = this.ports.log.child({ stage, event_id: msg.event_id, tenant_id: msg.tenant_id, attempt });
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (retriesExhausted(spec, err, attempt, eventTime(msg), Date.now()) || err instanceof SyntaxError || isZodError(err)) {
      log.warn({ reason }, "dead-lettered");
      this.queue.deadLetter(msg, reason, new Date().toISOString(), ownerOf(err) ?? msg.tenant_id);
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

/** The tenant a Poison names, for a message that did not say whose it was: theirs to list and replay. */
const ownerOf = (err: unknown) => (err instanceof Poison && err.tenantId ? err.tenantId : undefined);

const isZodError = (err: unknown) => typeof err === "object" && err !== null && (err as { name?: string }).name === "ZodError";
