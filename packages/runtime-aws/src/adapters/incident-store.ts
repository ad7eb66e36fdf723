import { ChangedConcurrently, Conflict, retainedFrom, type Incident, type IncidentQuery, type IncidentStore, type Page } from "@ir/core";
import { decodeCursor, encodeCursor } from "../cursor";
import type { DynamoTable, Item, Key } from "../dynamo-table";
import { retentionTagging } from "../retention-tiers";
import { s3Keys, type S3Documents } from "../s3-documents";
import { idMintedAt, isConditionFailed, pk, sk, TTL_GRACE_DAYS, ttlAfter, ttlDay } from "../table";
import type { TenantRetention } from "./tenant-retention";

/** A fingerprint claimed by an incident whose head never appeared (its writer died) is free again after this. */
const CLAIM_STALE_MS = 60_000;
/** How long a reader waits for an in-flight document write to land before taking the previous version. */
const DOC_CATCH_UP_MS = [50, 100, 200, 400, 800];
const LIST_FETCH_CONCURRENCY = 16;
/** How long after its created_at an incident's id may be minted (the decision's own writes come between). */
const ID_MINT_SLACK_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a view read of one incident: the head's revision (which the next put must still find) and its index items'
 * expiry, and in a scoped view the document with the revision it carries.
 */
interface Seen { rev: number; indexExpiresAt?: number; doc?: { rev: number; value: Incident } }

/**
 * Incidents: the document in S3 (`tenant_<id>/incidents/<id>.json`, the source of truth users and tools
 * read), plus a small "head" item in DynamoDB that is the commit point and the listing index.
 *
 * Neither S3 nor the pipeline can hold a transaction, so writes are ordered to be safe at any crash:
 *  1. a new incident first claims its fingerprint with a conditional write: two decisions racing on the same
 *     problem cannot both open an incident (the loser gets Conflict and is retried, and then finds the winner);
 *  2. the head's revision is bumped with a conditional write on the revision this view read (optimistic
 *     locking: a concurrent resolve and recurrence cannot overwrite each other);
 *  3. the document is written to S3 carrying that revision in its metadata.
 * A reader that finds the S3 revision behind the head's waits briefly for the write in flight. A crash
 * between 2 and 3 loses only that write, and its SQS message is redelivered and redoes it: stage ids are
 * deterministic per event, so the redo lands on the same incident id and the stores converge.
 *
 * Retention: the document is tagged `retention=<tier>` for the bucket's lifecycle rules, and the head and the
 * fingerprint and source-key items carry `expires_at` (last activity + the plan's retention + a grace, see
 * TTL_GRACE_DAYS), rewritten as the incident is, so a recurring OPEN incident never expires. One a source still fires
 * for has neither tag nor expiry until it resolves (see retainedFrom): nothing rewrites it meanwhile. The retention worker
 * purges at the exact cutoff; it first marks the head `purging` (bumping `rev`), which this store then treats as gone.
 */
export class S3IncidentStore implements IncidentStore {
  constructor(
    private readonly table: DynamoTable,
    private readonly docs: S3Documents,
    private readonly retention: TenantRetention,
    /** Heads this view has read, by `tenant/incident`. */
    private readonly revisions = new Map<string, Seen>(),
    /** Short-lived views keep the documents they read; the container's own view would grow without bound. */
    private readonly keepDocs = false,
  ) {}

  /** A fresh view for one record or request, so optimistic locks never leak between concurrent work. */
  scoped(): S3IncidentStore {
    return new S3IncidentStore(this.table, this.docs, this.retention, new Map(), true);
  }

  /** Forgets what this view read: the HTTP handler's view starts every request fresh. */
  forgetReads() {
    this.revisions.clear();
  }

  /** The head item: status, service and revision without reading the document. */
  async head(tenantId: string, incidentId: string): Promise<Item | undefined> {
    return this.table.get({ pk: pk.tenant(tenantId), sk: sk.incident(incidentId) });
  }

  async get(tenantId: string, incidentId: string): Promise<Incident | null> {
    const head = await this.head(tenantId, incidentId);
    // Being purged: gone for readers, and never recorded, so no write can bring it back.
    if (!head || head.purging === true) return null;
    const rev = head.rev as number;
    const at = `${tenantId}/${incidentId}`;
    const kept = this.revisions.get(at)?.doc;
    this.revisions.set(at, { rev, indexExpiresAt: head.index_expires_at as number | undefined, doc: kept });
    // One revision is written once (the head's conditional bump picks its one writer), so a document already read
    // at the head's revision is current: match and enrich read an incident twice per alarm, S3 bills each GET.
    if (kept?.rev === rev) return structuredClone(kept.value);
    const found = await this.readDoc(tenantId, incidentId, rev);
    if (found && this.keepDocs) this.revisions.get(at)!.doc = { rev: found.rev, value: structuredClone(found.value) };
    return found?.value ?? null;
  }

  async put(incident: Incident) {
    const { tenant_id: tenantId, incident_id: incidentId } = incident;
    const seen = this.revisions.get(`${tenantId}/${incidentId}`);
    const known = seen?.rev;
    const days = await this.retention.days(tenantId);
    const activeAt = retainedFrom(incident);
    const expiresAt = activeAt === null ? undefined : ttlAfter(activeAt, days + TTL_GRACE_DAYS);
    const indexExpiresAt = expiresAt === undefined ? undefined : ttlDay(expiresAt);
    if (known === undefined && incident.status === "OPEN" && incident.fingerprint) {
      await this.claimFingerprint(tenantId, incident.service, incident.fingerprint, incidentId, indexExpiresAt);
    }
    const rev = (known ?? 0) + 1;
    try {
      await this.table.put(
        {
          pk: pk.tenant(tenantId), sk: sk.incident(incidentId), rev,
          status: incident.status, service: incident.service, created_at: incident.created_at,
          fingerprint: incident.fingerprint, updated_at: incident.last_seen,
          // What the retention worker needs without reading the document: the age (null: kept while its source fires),
          // and the index items to remove.
          active_at: activeAt, source_keys: incident.source_keys,
          expires_at: expiresAt, index_expires_at: indexExpiresAt,
        },
        known === undefined ? { expression: "attribute_not_exists(pk)" } : { expression: "rev = :rev", values: { ":rev": known } },
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new ChangedConcurrently(`incident ${incidentId} was changed concurrently`);
      throw err;
    }
    await this.docs.put(s3Keys.incident(tenantId, incidentId), incident, { rev: String(rev) }, activeAt === null ? undefined : retentionTagging(days));
    // Index items follow the head's expiry, rounded to a day so a storm of recurrences rewrites them once a day at most.
    if (seen !== undefined && seen.indexExpiresAt !== indexExpiresAt) await this.extendIndex(incident, indexExpiresAt);
    this.revisions.set(`${tenantId}/${incidentId}`, { rev, indexExpiresAt });
  }

  async list(tenantId: string, q: IncidentQuery): Promise<Page<Incident>> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Item = { ":pk": pk.tenant(tenantId), ":prefix": sk.incidentPrefix };
    if (q.status) { filters.push("#status = :status"); names["#status"] = "status"; values[":status"] = q.status; }
    if (q.service) { filters.push("#service = :service"); names["#service"] = "service"; values[":service"] = q.service; }
    // Ids are minted when an incident is opened, a moment after its created_at: the key range bounds the read, the filter is exact.
    const before = q.created_before ? Date.parse(q.created_before) : Number.NaN;
    if (!Number.isNaN(before)) { filters.push("created_at < :before"); values[":before"] = new Date(before).toISOString(); values[":to"] = sk.incident(idMintedAt("inc", before + ID_MINT_SLACK_MS)); }
    const after = decodeCursor(q.cursor, sk.incidentPrefix);
    let start: Key | undefined = after ? { pk: pk.tenant(tenantId), sk: after } : undefined;
    const heads: Item[] = [];
    // Incident ids are time-ordered, so a reverse key scan is "newest first"; filters may thin a page, so keep reading.
    do {
      const page = await this.table.query({
        KeyConditionExpression: values[":to"] ? "pk = :pk AND sk BETWEEN :prefix AND :to" : "pk = :pk AND begins_with(sk, :prefix)",
        FilterExpression: filters.length ? filters.join(" AND ") : undefined,
        ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: filters.length ? Math.max(100, q.limit + 1) : q.limit + 1,
        ExclusiveStartKey: start,
      });
      heads.push(...page.items.filter((h) => h.purging !== true));
      start = page.lastKey;
    } while (start && heads.length <= q.limit);
    const pageHeads = heads.slice(0, q.limit);
    const more = heads.length > q.limit || start !== undefined;
    const docs = await mapLimited(pageHeads, LIST_FETCH_CONCURRENCY, async (h) =>
      (await this.readDoc(tenantId, (h.sk as string).slice(sk.incidentPrefix.length), h.rev as number))?.value ?? null);
    return {
      items: docs.filter((d): d is Incident => d !== null),
      next_cursor: more && pageHeads.length ? encodeCursor(pageHeads[pageHeads.length - 1].sk as string) : null,
    };
  }

  async findByFingerprint(tenantId: string, service: string, fingerprint: string) {
    // An expired pointer still counts: it expires with its incident, which the retention worker removes together with
    // it; hiding it while the incident is still there would open a duplicate beside it.
    const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.fingerprint(service, fingerprint) });
    return (item?.incident_id as string | undefined) ?? null;
  }

  async indexFingerprint(tenantId: string, service: string, fingerprint: string, incidentId: string) {
    await this.claimFingerprint(tenantId, service, fingerprint, incidentId, await this.indexExpiryOf(tenantId, incidentId));
  }

  async findBySourceKey(tenantId: string, sourceKey: string) {
    const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.sourceKey(sourceKey) });
    return (item?.incident_id as string | undefined) ?? null;
  }

  async indexSourceKey(tenantId: string, sourceKey: string, incidentId: string) {
    await this.table.put({ pk: pk.tenant(tenantId), sk: sk.sourceKey(sourceKey), incident_id: incidentId, expires_at: await this.indexExpiryOf(tenantId, incidentId) });
  }

  /** The expiry the incident's head gives its index items (none while its source fires); from now if the head is not there (yet). */
  private async indexExpiryOf(tenantId: string, incidentId: string): Promise<number | undefined> {
    const head = await this.head(tenantId, incidentId);
    if (typeof head?.index_expires_at === "number") return head.index_expires_at;
    if (head?.active_at === null) return undefined;
    return ttlDay(ttlAfter(undefined, (await this.retention.days(tenantId)) + TTL_GRACE_DAYS));
  }

  /** Moves (or removes) the expiry of the fingerprint and source-key items that still point at this incident (others are left alone). */
  private async extendIndex(incident: Incident, expiresAt: number | undefined) {
    const keys = [
      ...(incident.fingerprint ? [sk.fingerprint(incident.service, incident.fingerprint)] : []),
      ...incident.source_keys.map((k) => sk.sourceKey(k)),
    ];
    await Promise.all(keys.map((key) =>
      this.table.update({ pk: pk.tenant(incident.tenant_id), sk: key }, expiresAt === undefined ? "REMOVE expires_at" : "SET expires_at = :exp", {
        // Also false when the item is gone: an update must not recreate a pointer someone removed.
        condition: "incident_id = :id", values: { ...(expiresAt !== undefined && { ":exp": expiresAt }), ":id": incident.incident_id },
      }).catch((err) => { if (!isConditionFailed(err)) throw err; })));
  }

  /**
   * Points a fingerprint at an incident unless another OPEN incident holds it. A RESOLVED holder gives way
   * (a regression opens a new incident for the same problem), and so does a claim whose incident never
   * got written. Each takeover is conditional on the holder it saw, so two racing takeovers cannot both win.
   */
  private async claimFingerprint(tenantId: string, service: string, fingerprint: string, incidentId: string, expiresAt: number | undefined, depth = 0): Promise<void> {
    const key = { pk: pk.tenant(tenantId), sk: sk.fingerprint(service, fingerprint) };
    const item = { ...key, incident_id: incidentId, claimed_at: Date.now(), expires_at: expiresAt };
    try {
      await this.table.put(item, { expression: "attribute_not_exists(pk) OR incident_id = :id", values: { ":id": incidentId } });
      return;
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    const holder = await this.table.get(key);
    if (!holder) {
      if (depth < 2) return this.claimFingerprint(tenantId, service, fingerprint, incidentId, expiresAt, depth + 1);
      throw new Conflict(`fingerprint of ${incidentId} is contended`);
    }
    const holderId = holder.incident_id as string;
    if (holderId === incidentId) return;
    const head = await this.head(tenantId, holderId);
    // A holder being purged by the retention worker gives way like a resolved one.
    const abandoned = (!head && Date.now() - (holder.claimed_at as number) > CLAIM_STALE_MS) || head?.purging === true;
    if (!abandoned && (!head || head.status === "OPEN")) {
      throw new Conflict(`fingerprint already belongs to open incident ${holderId}`);
    }
    try {
      await this.table.put(item, { expression: "incident_id = :holder", values: { ":holder": holderId } });
    } catch (err) {
      if (isConditionFailed(err)) throw new Conflict(`fingerprint of ${incidentId} is contended`);
      throw err;
    }
  }

  /** The document and the revision it carries, which is behind `rev` only if the write of `rev` died before S3. */
  private async readDoc(tenantId: string, incidentId: string, rev: number): Promise<{ value: Incident; rev: number } | null> {
    const key = s3Keys.incident(tenantId, incidentId);
    let found = await this.docs.get<Incident>(key);
    for (const wait of DOC_CATCH_UP_MS) {
      if (found && Number(found.metadata.rev ?? 0) >= rev) break;
      await sleep(wait);
      found = await this.docs.get<Incident>(key);
    }
    // Still behind: the write that bumped the head died before S3; its message is redone. Serve what is committed.
    return found ? { value: found.value, rev: Number(found.metadata.rev ?? 0) } : null;
  }
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
