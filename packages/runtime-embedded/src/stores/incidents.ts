import { setBounded, type Incident, type IncidentQuery, type IncidentStore } from "@ir/core";
import type { Db } from "../db";
import { decodeCursor, pageOf } from "./page";
import { WriteBack } from "../write-back";
import type { Tx } from "../db";

/** Parsed documents of recently touched incidents: a storm re-reads the same few incidents in every stage. */
const CACHE_MAX = 20_000;

export class SqliteIncidents implements IncidentStore {
  private readonly cache = new Map<string, Incident>();
  /** Fingerprint → incident id: embed and match both ask for every alarm, and a storm asks about the same few. */
  private readonly fingerprints = new Map<string, string>();
  private readonly getStmt;
  private readonly putStmt;
  private readonly fpGet;
  private readonly fpPut;
  private readonly pending: WriteBack<Incident>;
  constructor(private readonly db: Db, tx: Tx) {
    this.pending = tx.track(new WriteBack<Incident>((key, i) => {
      this.putStmt.run(i.tenant_id, i.incident_id, i.status, i.service, i.created_at, JSON.stringify(i));
      this.remember(key, i);
    }));
    this.getStmt = db.prepare("SELECT doc FROM incidents WHERE tenant_id = ? AND incident_id = ?");
    // An upsert, not INSERT OR REPLACE: REPLACE deletes the row and inserts it under a new rowid, so every
    // recurrence rewrote the old page (zeroed, with secure_delete), a new page and both index entries.
    this.putStmt = db.prepare(`INSERT INTO incidents (tenant_id, incident_id, status, service, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, incident_id) DO UPDATE SET status = excluded.status, service = excluded.service, doc = excluded.doc`);
    this.fpGet = db.prepare("SELECT incident_id FROM fingerprints WHERE tenant_id = ? AND service = ? AND fingerprint = ?");
    this.fpPut = db.prepare("INSERT OR REPLACE INTO fingerprints (tenant_id, service, fingerprint, incident_id) VALUES (?, ?, ?, ?)");
  }
  /** Drop cached documents: after a rollback they may be uncommitted, after an erase or purge they are gone. */
  invalidate() { this.cache.clear(); this.fingerprints.clear(); }

  async get(tenantId: string, incidentId: string) {
    const key = `${tenantId}/${incidentId}`;
    const hit = this.pending.get(key) ?? this.cache.get(key);
    if (hit) return hit;
    const row = this.getStmt.get(tenantId, incidentId) as { doc: string } | undefined;
    if (!row) return null;
    return this.remember(key, JSON.parse(row.doc) as Incident);
  }
  async put(i: Incident) {
    const key = `${i.tenant_id}/${i.incident_id}`;
    if (this.pending.active) this.pending.set(key, Object.freeze(i));
    else {
      this.putStmt.run(i.tenant_id, i.incident_id, i.status, i.service, i.created_at, JSON.stringify(i));
      this.remember(key, i);
    }
  }

  /** Cached documents are shared, so they are frozen: every writer builds a new one (as the stages do). */
  private remember(key: string, i: Incident) {
    return setBounded(this.cache, key, Object.freeze(i), CACHE_MAX);
  }
  async list(tenantId: string, q: IncidentQuery) {
    const where = ["tenant_id = ?"];
    const args: unknown[] = [tenantId];
    if (q.status) { where.push("status = ?"); args.push(q.status); }
    if (q.service) { where.push("service = ?"); args.push(q.service); }
    if (q.created_before) { where.push("created_at < ?"); args.push(q.created_before); }
    const after = decodeCursor(q.cursor);
    if (after) { where.push("(created_at, incident_id) < (?, ?)"); args.push(String(after[0]), String(after[1])); }
    const rows = this.db.prepare(`SELECT incident_id, created_at, doc FROM incidents WHERE ${where.join(" AND ")} ORDER BY created_at DESC, incident_id DESC LIMIT ?`)
      .all(...args, q.limit + 1) as Array<{ incident_id: string; created_at: string; doc: string }>;
    return pageOf(rows, q.limit, (r) => JSON.parse(r.doc) as Incident, (r) => [r.created_at, r.incident_id]);
  }
  async findByFingerprint(tenantId: string, service: string, fingerprint: string) {
    const key = `${tenantId}/${service}/${fingerprint}`;
    const hit = this.fingerprints.get(key);
    if (hit !== undefined) return hit;
    const id = (this.fpGet.get(tenantId, service, fingerprint) as { incident_id: string } | undefined)?.incident_id ?? null;
    // Misses are not cached: most are new problems asked about once, and would only fill the map.
    if (id) setBounded(this.fingerprints, key, id, CACHE_MAX);
    return id;
  }
  async indexFingerprint(tenantId: string, service: string, fingerprint: string, incidentId: string) {
    this.fpPut.run(tenantId, service, fingerprint, incidentId);
    setBounded(this.fingerprints, `${tenantId}/${service}/${fingerprint}`, incidentId, CACHE_MAX);
  }
  async findBySourceKey(tenantId: string, sourceKey: string) {
    const row = this.db.prepare("SELECT incident_id FROM source_keys WHERE tenant_id = ? AND source_key = ?").get(tenantId, sourceKey) as { incident_id: string } | undefined;
    return row?.incident_id ?? null;
  }
  async indexSourceKey(tenantId: string, sourceKey: string, incidentId: string) {
    this.db.prepare("INSERT OR REPLACE INTO source_keys (tenant_id, source_key, incident_id) VALUES (?, ?, ?)").run(tenantId, sourceKey, incidentId);
  }
}
