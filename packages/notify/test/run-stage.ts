import { Poison, RetryLater, STAGES, makeEvent, type Change, type PipelineEvent, type Ports } from "@ir/core";
import { notifyStage } from "../src/index";
import type { FakeClock } from "./fakes";

/**
 * The runtime's part, as small as the tests need: every emitted event is handled in turn, an event id
 * already handled is dropped, RetryLater is retried after its delay (on the fake clock), Poison and
 * exhausted attempts go to the dead letters. With `parkOverMs`, a RetryLater longer than that is not waited
 * for: the event is parked in the run, and a later call with the same run handles it once the clock has
 * passed its time (before that call's own events), as a queue's delayed message would come back.
 */

export interface Run {
  handled: PipelineEvent[];
  retries: Array<{ id: string; delayMs: number; reason: string }>;
  dead: Array<{ id: string; reason: string; attempts: number }>;
  parked?: Array<{ event: PipelineEvent; dueMs: number; attempts: number }>;
}

export const changed = (id: string, incident_id: string, changes: Change[], tenantId = "tenant_1"): PipelineEvent<"incident.changed"> =>
  makeEvent("incident.changed", tenantId, id, { incident_id, changes }, new Date(0).toISOString());

export const runStage = async (
  ports: Ports & { clock: FakeClock },
  events: PipelineEvent[],
  run: Run = { handled: [], retries: [], dead: [] },
  opts: { parkOverMs?: number } = {},
): Promise<Run> => {
  const seen = new Set(run.handled.map((e) => e.id));
  const nowMs = ports.clock.now().getTime();
  const parked = (run.parked ?? []).sort((a, b) => a.dueMs - b.dueMs);
  const due = parked.filter((p) => p.dueMs <= nowMs);
  run.parked = parked.filter((p) => p.dueMs > nowMs);
  const queue: Array<{ event: PipelineEvent; attempts: number }> = [...due, ...events.map((event) => ({ event, attempts: 0 }))];
  while (queue.length > 0) {
    const { event, attempts } = queue.shift()!;
    if (seen.has(event.id)) continue;
    for (let attempt = attempts + 1; ; attempt++) {
      try {
        queue.push(...(await notifyStage(event, ports)).map((e) => ({ event: e, attempts: 0 })));
        seen.add(event.id);
        run.handled.push(event);
        break;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        if (err instanceof Poison || attempt >= STAGES.notify.maxAttempts) {
          run.dead.push({ id: event.id, reason, attempts: attempt });
          break;
        }
        const delayMs = err instanceof RetryLater ? err.delayMs : 1000 * 2 ** attempt;
        run.retries.push({ id: event.id, delayMs, reason });
        if (opts.parkOverMs !== undefined && delayMs > opts.parkOverMs) {
          run.parked.push({ event, dueMs: ports.clock.now().getTime() + delayMs, attempts: attempt });
          break;
        }
        ports.clock.advance(delayMs);
      }
    }
  }
  return run;
};

/** The `notification.send` events a run handled, for one channel type. */
export const sendsTo = (run: Run, type: string) =>
  run.handled.filter((e): e is PipelineEvent<"notification.send"> => e.type === "notification.send" && (e as PipelineEvent<"notification.send">).data.channel.type === type);
