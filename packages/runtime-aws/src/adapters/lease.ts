import { randomUUID } from "node:crypto";
import type { DynamoTable } from "../dynamo-table";
import { isConditionFailed, pk, sk, ttlIn } from "../table";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Held { release(): Promise<void> }

/**
 * A per-(tenant, name) mutual exclusion lease in DynamoDB. Lambda runs batches in parallel and EventBridge
 * cannot give a FIFO target a per-message group, so the match stage serializes its decisions for one
 * (tenant, service) with this instead. A lease expires on its own (`until`, checked in the condition, since
 * TTL deletion is lazy) so a crashed holder blocks others for at most its duration; correctness does not
 * rest on it alone: the stores' conditional writes still refuse a second incident for one fingerprint.
 */
export class DynamoLease {
  constructor(private readonly table: DynamoTable) {}

  async tryAcquire(tenantId: string, name: string, durationMs: number): Promise<Held | null> {
    const key = { pk: pk.tenant(tenantId), sk: sk.lease(name) };
    const holder = randomUUID();
    const now = Date.now();
    try {
      await this.table.put(
        { ...key, holder, until: now + durationMs, expires_at: ttlIn(now + durationMs, 3600) },
        { expression: "attribute_not_exists(pk) OR #until < :now", names: { "#until": "until" }, values: { ":now": now } },
      );
    } catch (err) {
      if (isConditionFailed(err)) return null;
      throw err;
    }
    return {
      release: () => this.table.delete(key, { expression: "holder = :h", values: { ":h": holder } }).catch((err) => {
        // Expired and taken over by someone else: theirs now, nothing to release.
        if (!isConditionFailed(err)) throw err;
      }),
    };
  }

  /** Waits for the lease with jittered backoff until `deadline` (epoch ms); null if it never came free. */
  async acquire(tenantId: string, name: string, durationMs: number, deadline: number): Promise<Held | null> {
    for (let attempt = 0; ; attempt++) {
      const held = await this.tryAcquire(tenantId, name, durationMs);
      if (held) return held;
      const wait = Math.min(1000, 25 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random());
      if (Date.now() + wait >= deadline) return null;
      await sleep(wait);
    }
  }
}
