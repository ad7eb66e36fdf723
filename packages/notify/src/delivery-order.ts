import { RetryLater, retriesExhausted, STAGES, withinRetryWindow, type PipelineEvent, type Ports, type StageSpec } from "@ir/core";
import type { NotifyState, PendingPage } from "./policy";
import type { Sequenced } from "./receiver";
import { stateKey } from "./route";

/**
 * Every `notification.send` is retried on its own backoff, so after an outage of the receiver a resolve (young,
 * short backoff) would reach it before the trigger it closes (many attempts, long backoff), and leave an alert
 * open, paging, for a resolved incident. Sends that open and close one thing (a PagerDuty alert, a webhook
 * consumer's ticket: see `Receiver.order`) therefore keep their order, per channel, through the incident's notify state:
 *  - routing records each trigger as a pending page;
 *  - a resolve waits (RetryLater) while a trigger routed before it is pending: neither delivered nor given up;
 *  - a delivered trigger leaves the list; so does one the runtime dead-letters, counted as the runtimes count;
 *  - a trigger routed before a resolve that was delivered is stale and not sent (a late retry, a DLQ replay).
 */

/** How soon a waiting resolve looks again; the runtime's backoff by attempt comes on top of it. */
const ORDER_WAIT_MS = 2_000;

const spec: StageSpec = STAGES.notify;
/** Past its stage's retry window a trigger's next failure is its last: nothing waits for it longer than that. */
const givenUp = (page: PendingPage, nowMs: number) => !withinRetryWindow(spec, page.at, nowMs);

/** When the channel's thread was closed by a delivered resolve (routed then). */
const closedAt = (state: NotifyState, channel: string) => state.closed?.[channel] ?? state.closed_at ?? null;

/** Throws RetryLater while the channel's earlier sends of the alert are on their way; says whether an opening is stale. */
export const checkOrder = async (event: PipelineEvent, seq: Sequenced, channel: string, ports: Ports): Promise<"send" | "stale"> => {
  const state = await ports.kv.get<NotifyState>(event.tenant_id, stateKey(seq.incidentId));
  if (!state) return "send";
  const at = Date.parse(event.at);
  const closed = closedAt(state, channel);
  if (seq.opens) return closed && at < Date.parse(closed) ? "stale" : "send";
  const nowMs = ports.clock.now().getTime();
  // Only this channel's: a resolve to Slack does not wait out PagerDuty's outage.
  const before = (state.pages ?? []).filter((p) => p.id !== event.id && (p.channel ?? channel) === channel && Date.parse(p.at) <= at && !givenUp(p, nowMs));
  if (before.length > 0) throw new RetryLater(`waiting for ${before.length} earlier trigger(s) of this alert`, ORDER_WAIT_MS);
  return "send";
};

/** Records what became of a send: delivered, failed for now, or failed for good (then no resolve waits for it). */
export const recordOutcome = async (event: PipelineEvent, seq: Sequenced, channel: string, ports: Ports, err: unknown | null): Promise<void> => {
  const nowMs = ports.clock.now().getTime();
  await ports.kv.update<NotifyState>(event.tenant_id, stateKey(seq.incidentId), (state) => {
    if (!state) return undefined;
    if (!seq.opens) {
      const closed = closedAt(state, channel);
      if (err !== null || (closed && Date.parse(closed) >= Date.parse(event.at))) return undefined;
      return { ...state, closed: { ...state.closed, [channel]: event.at } };
    }
    const pages = state.pages ?? [];
    const page = pages.find((p) => p.id === event.id);
    if (!page) return undefined;
    const failures = page.failures + 1;
    // The runtimes' rule: a send the runtime has dead-lettered has no resolve waiting on it.
    const dead = retriesExhausted(spec, err, failures, event.at, nowMs);
    const rest = pages.filter((p) => p !== page);
    return { ...state, pages: err === null || dead ? rest : [...rest, { ...page, failures }] };
  });
};
