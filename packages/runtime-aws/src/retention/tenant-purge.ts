import { retainedFrom, retentionCutoffs, retentionDaysOf, tenantNamespace, type Incident, type Tenant, type VectorIndex } from "@ir/core";
import { notifyStateKey } from "@ir/notify";
import type { DynamoTable, Item, Key } from "../dynamo-table";
import { s3Keys, type S3Documents } from "../s3-documents";
import { idMintedAt, isConditionFailed, pk, sk } from "../table";

const DAY_MS = 86_400_000;
/** Incidents purged together: one Pinecone delete, one S3 DeleteObjects, a few DynamoDB batch writes. */
const CHUNK = 25;

export interface PurgeReport { incidents: number; alarms: number; idempotency: number; audit: number; dead_letters: number }

/** An incident old enough to go, with what points at it. */
interface Doomed { id: string; rev: number; purging: boolean; service: string; fingerprint?: string; sourceKeys: string[] }

const ignoreConditionFailed = (err: unknown) => { if (!isConditionFailed(err)) throw err; };

/**
 * One tenant's retention purge on AWS, the rules of the embedded runtime's RetentionJob: an incident ages from its
 * last activity (resolved_at, or last_seen while OPEN; while a source still fires for it, from last_seen over the
 * longer HELD_OPEN_MAX_DAYS), and goes with its vector, its fingerprint and source-key
 * pointers, its notification state and its S3 document; alarm outcomes, audit events and dead letters age from
 * their own time; idempotency claims from their (shorter) expiry. Runbooks, keys, settings and usage are kept.
 *
 * It finds work by key range, never by TTL (which fires days late, or never on dynalite): incident, alarm and
 * dead-letter ids and audit keys are time-ordered, so everything older than the cutoff sorts below one key.
 *
 * An incident is purged in an order that any crash can resume: the head is first marked `purging` with a
 * conditional write that bumps `rev`, so a concurrent recurrence or resolve (which writes on the revision it read)
 * fails and the store reads the incident as gone; then the vector, the pointers, the state and the document are
 * removed; the head, the worker's only handle on the rest, goes last. A run that dies part-way is finished by the next.
 */
export class TenantPurge {
  constructor(private readonly table: DynamoTable, private readonly docs: S3Documents, private readonly vectors: VectorIndex) {}

  async purge(tenant: Tenant, now: Date): Promise<PurgeReport> {
    const cutoff = now.getTime() - retentionDaysOf(tenant) * DAY_MS;
    const id = tenant.tenant_id;
    return {
      incidents: await this.incidents(tenant, cutoff, now),
      alarms: await this.alarms(id, cutoff),
      idempotency: await this.idempotency(id, now),
      audit: await this.audit(id, cutoff),
      dead_letters: await this.deadLetters(id, cutoff),
    };
  }

  private async incidents(tenant: Tenant, cutoff: number, now: Date): Promise<number> {
    const tenantId = tenant.tenant_id;
    // An incident a source still holds open is kept longer after its last alarm (see pastRetention), unless no source resolves.
    const { cutoff: cutoffIso, heldCutoff: heldCutoffIso } = retentionCutoffs(retentionDaysOf(tenant), tenant.settings.auto_resolve, now);
    let total = 0;
    let start: Key | undefined;
    do {
      // Only incidents opened before the cutoff can have been idle since before it.
      const page = await this.table.query({
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: { ":pk": pk.tenant(tenantId), ":from": sk.incidentPrefix, ":to": sk.incident(idMintedAt("inc", cutoff)) },
        ProjectionExpression: "sk, #rev, #status, #service, fingerprint, active_at, updated_at, source_keys, purging",
        ExpressionAttributeNames: { "#rev": "rev", "#status": "status", "#service": "service" },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      });
      const doomed: Doomed[] = [];
      for (const head of page.items) {
        const found = await this.judge(tenantId, head, cutoffIso, heldCutoffIso);
        if (found) doomed.push(found);
      }
      for (let i = 0; i < doomed.length; i += CHUNK) total += await this.purgeIncidents(tenantId, doomed.slice(i, i + CHUNK));
      start = page.lastKey;
    } while (start);
    return total;
  }

  /**
   * The incident behind a head, if its last activity is before the cutoff (null: a source still fires for it).
   * Heads written before retention existed carry no age: the document tells.
   */
  private async judge(tenantId: string, head: Item, cutoffIso: string, heldCutoffIso: string): Promise<Doomed | null> {
    const id = (head.sk as string).slice(sk.incidentPrefix.length);
    let activeAt = head.active_at as string | null | undefined;
    let sourceKeys = head.source_keys as string[] | undefined;
    let lastSeen = head.updated_at as string | undefined;
    if (activeAt === undefined || sourceKeys === undefined) {
      const doc = (await this.docs.get<Incident>(s3Keys.incident(tenantId, id)))?.value;
      if (activeAt === undefined) activeAt = doc ? retainedFrom(doc) : lastSeen;
      lastSeen = doc?.last_seen ?? lastSeen;
      sourceKeys ??= doc?.source_keys ?? [];
    }
    // null: held open by a source, aged from its last alarm over the longer bound.
    const aged = activeAt === null ? lastSeen !== undefined && lastSeen < heldCutoffIso : activeAt !== undefined && activeAt < cutoffIso;
    if (head.purging !== true && !aged) return null;
    return {
      id, rev: head.rev as number, purging: head.purging === true, service: head.service as string,
      fingerprint: head.fingerprint as string | undefined, sourceKeys,
    };
  }

  private async purgeIncidents(tenantId: string, doomed: Doomed[]): Promise<number> {
    const partition = pk.tenant(tenantId);
    const marked = (await Promise.all(doomed.map(async (d) => {
      if (d.purging) return d;
      try {
        await this.table.update({ pk: partition, sk: sk.incident(d.id) }, "SET purging = :t, #rev = #rev + :one", {
          condition: "#rev = :rev", names: { "#rev": "rev" }, values: { ":t": true, ":one": 1, ":rev": d.rev },
        });
        return d;
      } catch (err) {
        // Written since it was read (it recurred, or was resolved just now): no longer idle; the next run judges it again.
        ignoreConditionFailed(err);
        return null;
      }
    }))).filter((d): d is Doomed => d !== null);
    if (!marked.length) return 0;
    const ids = marked.map((d) => d.id);

    await this.vectors.delete(tenantNamespace(tenantId), ids);
    // Pointers are removed only while they still point here: a newer incident may hold the fingerprint by now.
    await Promise.all(marked.map((d) => Promise.all([
      ...(d.fingerprint ? [sk.fingerprint(d.service, d.fingerprint)] : []),
      ...d.sourceKeys.map((k) => sk.sourceKey(k)),
    ].map((key) => this.table.delete({ pk: partition, sk: key }, { expression: "incident_id = :id", values: { ":id": d.id } }).catch(ignoreConditionFailed)))));
    await this.table.batchDelete(ids.map((id) => ({ pk: partition, sk: sk.kv(notifyStateKey(id)) })));
    await this.docs.deleteKeys(ids.map((id) => s3Keys.incident(tenantId, id)));
    await this.table.batchDelete(ids.map((id) => ({ pk: partition, sk: sk.incident(id) })));
    return ids.length;
  }

  /** Alarm records and outcomes received before the cutoff (ids are minted at receipt, so the key range bounds them). */
  private async alarms(tenantId: string, cutoff: number): Promise<number> {
    const cutoffIso = new Date(cutoff).toISOString();
    return this.purgeRange({
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: { ":pk": pk.tenant(tenantId), ":from": sk.alarmPrefix, ":to": sk.alarm(idMintedAt("alm", cutoff)) },
      ProjectionExpression: "pk, sk, received_at, #alarm",
      ExpressionAttributeNames: { "#alarm": "alarm" },
    }, (item) => {
      // Records written before `received_at` was stored carry it inside the alarm.
      const receivedAt = (item.received_at as string | undefined) ?? (JSON.parse((item.alarm as string | undefined) ?? "{}") as { received_at?: string }).received_at;
      return receivedAt === undefined || receivedAt < cutoffIso;
    });
  }

  /** Idempotency claims are honoured for a day, shorter than any retention: they go once expired. */
  private idempotency(tenantId: string, now: Date): Promise<number> {
    return this.purgeRange({
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      FilterExpression: "expires_at <= :now",
      ExpressionAttributeValues: { ":pk": pk.tenant(tenantId), ":prefix": sk.idempotencyPrefix, ":now": Math.floor(now.getTime() / 1000) },
      ProjectionExpression: "pk, sk",
    });
  }

  /** Audit keys are `audit#<ISO time>#<id>`: everything before the cutoff is one key range. */
  private audit(tenantId: string, cutoff: number): Promise<number> {
    return this.purgeRange({
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: { ":pk": pk.tenant(tenantId), ":from": sk.auditPrefix, ":to": `${sk.auditPrefix}${new Date(cutoff).toISOString()}` },
      ProjectionExpression: "pk, sk",
    });
  }

  /** The catalogue of dead letters is shared by all tenants, keyed `dl_<failed time>…`; this tenant's older ones go. */
  private deadLetters(tenantId: string, cutoff: number): Promise<number> {
    return this.purgeRange({
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      FilterExpression: "tenant_id = :t",
      ExpressionAttributeValues: { ":pk": pk.deadLetters, ":from": "dl_", ":to": idMintedAt("dl", cutoff), ":t": tenantId },
      ProjectionExpression: "pk, sk",
    });
  }

  /** Deletes what a query finds (and `accept` takes), a page at a time; deleting behind the cursor is safe in DynamoDB. */
  private async purgeRange(input: Parameters<DynamoTable["query"]>[0], accept: (item: Item) => boolean = () => true): Promise<number> {
    let total = 0;
    let start: Key | undefined;
    do {
      const page = await this.table.query({ ...input, ConsistentRead: true, ExclusiveStartKey: start });
      const keys = page.items.filter(accept).map((i) => ({ pk: i.pk as string, sk: i.sk as string }));
      await this.table.batchDelete(keys);
      total += keys.length;
      start = page.lastKey;
    } while (start);
    return total;
  }
}
