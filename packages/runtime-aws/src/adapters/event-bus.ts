import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { Poison, type Bus, type PipelineEvent } from "@ir/core";
import type { EventBridgeLazy } from "../clients";

export const EVENT_SOURCE = "incident-responder";
/** PutEvents takes at most 10 entries and 256 KiB per call. */
const ENTRIES_PER_CALL = 10;
const MAX_ENTRY_BYTES = 256 * 1024;
const ATTEMPTS = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Events go to the EventBridge bus; one rule per (event type → stage) delivers each to its stage's queue.
 * PutEvents is not all-or-nothing: it answers 200 with per-entry failures (throttling, internal errors), so
 * the failed entries are resent with backoff and only a persistent failure throws (the caller's SQS record
 * is then retried; event ids are deterministic, so consumers drop the duplicates).
 */
export class EventBridgeBus implements Bus {
  constructor(private readonly client: EventBridgeLazy, private readonly busName: string) {}

  async publish(events: PipelineEvent[]) {
    const entries = events.map((event) => this.entry(event));
    const calls: Promise<void>[] = [];
    for (let i = 0; i < entries.length; i += ENTRIES_PER_CALL) calls.push(this.send(entries.slice(i, i + ENTRIES_PER_CALL)));
    await Promise.all(calls);
  }

  private entry(event: PipelineEvent): PutEventsRequestEntry {
    const detail = JSON.stringify(event);
    // The size limit counts the whole entry; this margin covers source, detail-type and bus name.
    if (Buffer.byteLength(detail) > MAX_ENTRY_BYTES - 1024) throw new Poison(`event ${event.id} is larger than EventBridge accepts`);
    return { Source: EVENT_SOURCE, DetailType: event.type, Detail: detail, EventBusName: this.busName };
  }

  private async send(entries: PutEventsRequestEntry[]) {
    let pending = entries;
    let lastError = "";
    const { sdk, client } = await this.client.use();
    for (let attempt = 0; attempt < ATTEMPTS && pending.length; attempt++) {
      if (attempt) await sleep(Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
      const out = await client.send(new sdk.PutEventsCommand({ Entries: pending }));
      if (!out.FailedEntryCount) return;
      // Result entries are positional: the i-th result belongs to the i-th request entry.
      const results = out.Entries ?? [];
      const failed = pending.filter((_, i) => results[i]?.ErrorCode);
      lastError = results.find((r) => r.ErrorCode)?.ErrorCode ?? "unknown";
      pending = failed;
    }
    if (pending.length) throw new Error(`EventBridge rejected ${pending.length} event(s) after ${ATTEMPTS} attempts: ${lastError}`);
  }
}
