import type { Incident, IncidentQuery, IncidentStore } from "@ir/core";
import type { Db } from "../db";
import { decodeCursor, pageOf } from "./page";

export class SqliteIncidents implements IncidentStore {
  private readonly getStmt;
  private readonly putStmt;
  private readonly fpGet;
  private readonly fpPut;
  constructor(private readonly db: Db) {
    this.getStmt = db.prepare("SELECT doc FROM incidents WHERE tenant_id = ? AND incident_id = ?");
    this.putStmt = db.prepare("INSERT OR REPLACE INTO incidents (tenant_id, incident_id, status, service, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)");
    this.fpGet = db.prepare("SELECT incident_id FROM fingerprints WHERE tenant_id = ? AND service = ? AND fingerprint = ?");
    this.fpPut = db.prepare("INSERT OR REPLACE INTO fingerprints (tenant_id, service, fingerprint, incident_id) VALUES (?, ?, ?, ?)");
  }
  async get(tenantId: string, incidentId: string) {
    const row = this.getStmt.get(tenantId, incidentId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Incident) : null;
  }
  async put(i: Incident) {
    this.putStmt.run(i.tenant_id, i.incident_id, i.status, i.service, i.created_at, JSON.stringify(i));
  }
  async list(tenantId: string, q: IncidentQuery) {
    const where = ["tenant_id = ?"];
    const args: unknown[] = [tenantId];
    if (q.status) { where.push("status = ?"); args.push(q.status); }
    if (q.service) { where.push("service = ?"); args.push(q.service); }
    const after = decodeCursor(q.cursor);
    if (after) { where.push("(created_at, incident_id) < (?, ?)"); args.push(String(after[0]), String(after[1])); }
    const rows = this.db.prepare(`SELECT incident_id, created_at, doc FROM incidents WHERE ${where.join(" AND ")} ORDER BY created_at DESC, incident_id DESC LIMIT ?`)
      .all(...args, q.limit + 1) as Array<{ incident_id: string; created_at: string; doc: string }>;
    return pageOf(rows, q.limit, (r) => JSON.parse(r.doc) as Incident, (r) => [r.created_at, r.incident_id]);
  }
  async findByFingerprint(tenantId: string, service: string, fingerprint: string) {
    return (this.fpGet.get(tenantId, service, fingerprint) as { incident_id: string } | undefined)?.incident_id ?? null;
  }
  async indexFingerprint(tenantId: string, service: string, fingerprint: string, incidentId: string) {
    this.fpPut.run(tenantId, service, fingerprint, incidentId);
  }
  async findBySourceKey(tenantId: string, sourceKey: string) {
    const row = this.db.prepare("SELECT incident_id FROM source_keys WHERE tenant_id = ? AND source_key = ?").get(tenantId, sourceKey) as { incident_id: string } | undefined;
    return row?.incident_id ?? null;
  }
  async indexSourceKey(tenantId: string, sourceKey: string, incidentId: string) {
    this.db.prepare("INSERT OR REPLACE INTO source_keys (tenant_id, source_key, incident_id) VALUES (?, ?, ?)").run(tenantId, sourceKey, incidentId);
  }
}
