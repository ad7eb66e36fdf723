import { createHash } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { makeEvent, type Alarm, type AlarmState, type AlarmStore, type Bus, type Outcome } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import { isConditionFailed, isExpired, pk, sk, ttlAfter, ttlIn } from "../table";
import type { TenantRetention } from "./tenant-retention";

/** Idempotency keys are honoured for a day, as most APIs with the header do (within every plan's retention: at least a day). */
const IDEMPOTENCY_TTL_S = 24 * 3600;
const WAIT_POLL_MS = [100, 150, 250, 400, 600, 1000];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * An outcome (runbook titles, recommendation text) takes the alarm record past 1 KB, and an update is billed a write
 * unit per KB of the whole item; deflated (about half the size) it usually keeps the record one unit smaller.
 */
const packOutcome = (outcome: Outcome) => deflateRawSync(JSON.stringify(outcome));
/** Records written before outcomes were deflated hold the JSON text. */
const unpackOutcome = (stored: unknown): Outcome =>
  JSON.parse(typeof stored === "string" ? stored : inflateRawSync(stored as Uint8Array).toString("utf8")) as Outcome;
const keyHash = (key: string) => createHash("sha256").update(key).digest("base64url");

/**
 * Accepting an alarm is three writes that cannot share a transaction (DynamoDB + EventBridge), ordered so
 * that any retry completes what a crash interrupted:
 *  1. the idempotency claim, a conditional put: concurrent retries with one key agree on one alarm id;
 *  2. the alarm record (`queued`), conditional so a redelivered SQS message with the same (deterministic)
 *     alarm id does not reset an outcome;
 *  3. `alarm.received` on the bus, then, with a key, `published` on the record.
 * A retry that finds the key claimed but the alarm never published publishes it again (the event id is
 * deterministic, so match drops a duplicate): a 202 is never lost. Only that retry reads `published`, so an
 * alarm accepted without a key skips the write (one WRU per alarm).
 *
 * An alarm record (and its outcome) is kept for the tenant's retention from `received_at`: `expires_at` for TTL,
 * which readers check themselves, and `received_at` for the retention worker, which deletes it at the cutoff.
 */
export class DynamoAlarmStore implements AlarmStore {
  constructor(private readonly table: DynamoTable, private readonly bus: Bus, private readonly retention: TenantRetention) {}

  async accept(alarm: Alarm, idempotencyKey: string | undefined) {
    const now = Date.now();
    if (idempotencyKey) {
      const idemKey = { pk: pk.tenant(alarm.tenant_id), sk: sk.idempotency(keyHash(idempotencyKey)) };
      try {
        // TTL deletes lazily, so an expired claim is treated as absent here rather than waited for.
        await this.table.put(
          { ...idemKey, alarm_id: alarm.alarm_id, alarm: JSON.stringify(alarm), expires_at: ttlIn(now, IDEMPOTENCY_TTL_S) },
          { expression: "attribute_not_exists(pk) OR expires_at < :now", values: { ":now": Math.floor(now / 1000) } },
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        const held = await this.table.get(idemKey);
        const heldId = (held?.alarm_id as string | undefined) ?? alarm.alarm_id;
        if (heldId !== alarm.alarm_id) {
          await this.finishInterrupted(JSON.parse(held!.alarm as string) as Alarm);
          return { alarm_id: heldId, duplicate: true };
        }
      }
    }
    const tracked = idempotencyKey !== undefined;
    await this.record(alarm, tracked);
    await this.publish(alarm, tracked);
    return { alarm_id: alarm.alarm_id, duplicate: false };
  }

  async findByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<string | null> {
    const held = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.idempotency(keyHash(idempotencyKey)) });
    // As in accept: a claim past its expiry that TTL has not deleted yet is absent.
    if (!held || (held.expires_at as number) < Math.floor(Date.now() / 1000)) return null;
    return held.alarm_id as string;
  }

  async get(tenantId: string, alarmId: string): Promise<AlarmState | null> {
    const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.alarm(alarmId) });
    if (!item || isExpired(item, Date.now())) return null;
    return item.outcome ? unpackOutcome(item.outcome) : { alarm_id: alarmId, status: "queued" };
  }

  async putOutcome(tenantId: string, outcome: Outcome) {
    // The record normally exists with its expiry; if not (written by an older version, or erased), the outcome still expires.
    const expiresAt = ttlAfter(undefined, await this.retention.days(tenantId));
    await this.table.update(
      { pk: pk.tenant(tenantId), sk: sk.alarm(outcome.alarm_id) },
      "SET outcome = :o, #state = :decided, expires_at = if_not_exists(expires_at, :exp)",
      { names: { "#state": "state" }, values: { ":o": packOutcome(outcome), ":decided": "decided", ":exp": expiresAt } },
    );
  }

  /** For `?wait=N`: polls the record (no push channel reaches a Lambda), backing off to one read a second. */
  async waitFor(tenantId: string, alarmId: string, ms: number): Promise<AlarmState | null> {
    const deadline = Date.now() + ms;
    for (let i = 0; ; i++) {
      const state = await this.get(tenantId, alarmId);
      if (state && state.status !== "queued") return state;
      const left = deadline - Date.now();
      if (left <= 0) return state;
      await sleep(Math.min(left, WAIT_POLL_MS[Math.min(i, WAIT_POLL_MS.length - 1)]));
    }
  }

  private async publish(alarm: Alarm, tracked: boolean) {
    await this.bus.publish([makeEvent("alarm.received", alarm.tenant_id, alarm.alarm_id, alarm, alarm.received_at)]);
    if (tracked) await this.table.update({ pk: pk.tenant(alarm.tenant_id), sk: sk.alarm(alarm.alarm_id) }, "SET published = :t", { values: { ":t": true } });
  }

  private async record(alarm: Alarm, tracked: boolean) {
    try {
      await this.table.put(
        {
          pk: pk.tenant(alarm.tenant_id), sk: sk.alarm(alarm.alarm_id), state: "queued", alarm: JSON.stringify(alarm), ...(tracked ? { published: false } : {}),
          received_at: alarm.received_at, expires_at: ttlAfter(alarm.received_at, await this.retention.days(alarm.tenant_id)),
        },
        { expression: "attribute_not_exists(pk)" },
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  /** The claim's first holder may have died between its writes (or be between them now): complete them; both are idempotent. */
  private async finishInterrupted(alarm: Alarm) {
    const item = await this.table.get({ pk: pk.tenant(alarm.tenant_id), sk: sk.alarm(alarm.alarm_id) });
    if (item?.published === true) return;
    if (!item) await this.record(alarm, true);
    await this.publish(alarm, true);
  }
}
