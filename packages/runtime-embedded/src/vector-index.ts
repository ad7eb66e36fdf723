import type { VectorIndex, VectorMatch, VectorMetadata } from "@ir/core";
import type { Db } from "./db";
import { LshTables } from "./lsh";

interface Entry { id: string; vector: Float32Array; metadata: VectorMetadata }

/** Up to this many vectors a bucket is scanned exactly; beyond it LSH picks the candidates (see lsh.ts). */
export const EXACT_SCAN_LIMIT = 4096;

/**
 * Exact cosine search held in memory, persisted in SQLite. Entries are bucketed by `service`, the filter
 * every dedup query carries, so a query scans one service's incidents, not the tenant's. A bucket past
 * EXACT_SCAN_LIMIT gets LSH tables, and only their candidates are scored.
 */
export class LocalVectorIndex implements VectorIndex {
  private readonly spaces = new Map<string, Map<string, Map<string, Entry>>>();
  private readonly lsh = new WeakMap<Map<string, Entry>, LshTables>();
  private readonly upsertStmt;
  private readonly deleteStmt;

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare("INSERT OR REPLACE INTO vectors (namespace, id, vector, metadata) VALUES (?, ?, ?, ?)");
    this.deleteStmt = db.prepare("DELETE FROM vectors WHERE namespace = ? AND id = ?");
  }

  /** Drop cached namespaces (after a rollback they may hold uncommitted entries); they reload from SQLite. */
  invalidate() { this.spaces.clear(); }

  async upsert(namespace: string, items: Array<{ id: string; vector: Float32Array; metadata: VectorMetadata }>) {
    const space = this.space(namespace);
    for (const it of items) {
      this.upsertStmt.run(namespace, it.id, Buffer.from(it.vector.buffer, it.vector.byteOffset, it.vector.byteLength), JSON.stringify(it.metadata));
      this.remove(space, it.id);
      this.put(this.bucket(space, it.metadata), { id: it.id, vector: it.vector, metadata: it.metadata });
    }
  }

  async query(namespace: string, vector: Float32Array, opts: { topK: number; filter: Record<string, string> }) {
    const space = this.space(namespace);
    const buckets = opts.filter.service !== undefined ? [space.get(opts.filter.service)].filter(Boolean) as Array<Map<string, Entry>> : [...space.values()];
    const filters = Object.entries(opts.filter);
    const top: VectorMatch[] = [];
    for (const bucket of buckets) {
      const lsh = this.lsh.get(bucket);
      const entries = lsh ? [...lsh.candidates(vector)].map((id) => bucket.get(id)!).filter(Boolean) : bucket.values();
      for (const e of entries) {
        if (!filters.every(([k, v]) => e.metadata[k] === v)) continue;
        const score = dot(vector, e.vector);
        if (top.length < opts.topK) { top.push({ id: e.id, score, metadata: e.metadata }); top.sort(byScore); }
        else if (score > top[top.length - 1].score) { top[top.length - 1] = { id: e.id, score, metadata: e.metadata }; top.sort(byScore); }
      }
    }
    return top;
  }

  async update(namespace: string, id: string, metadata: VectorMetadata) {
    const space = this.space(namespace);
    const entry = this.find(space, id);
    if (!entry) return;
    await this.upsert(namespace, [{ id, vector: entry.vector, metadata: { ...entry.metadata, ...metadata } }]);
  }

  async delete(namespace: string, ids: string[]) {
    const space = this.space(namespace);
    for (const id of ids) { this.deleteStmt.run(namespace, id); this.remove(space, id); }
  }

  async deleteNamespace(namespace: string) {
    this.db.prepare("DELETE FROM vectors WHERE namespace = ?").run(namespace);
    this.spaces.delete(namespace);
  }

  private space(namespace: string) {
    let space = this.spaces.get(namespace);
    if (space) return space;
    space = new Map();
    const rows = this.db.prepare("SELECT id, vector, metadata FROM vectors WHERE namespace = ?").all(namespace) as Array<{ id: string; vector: Buffer; metadata: string }>;
    for (const r of rows) {
      const vector = new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + r.vector.byteLength));
      const metadata = JSON.parse(r.metadata) as VectorMetadata;
      this.put(this.bucket(space, metadata), { id: r.id, vector, metadata });
    }
    this.spaces.set(namespace, space);
    return space;
  }

  private bucket(space: Map<string, Map<string, Entry>>, metadata: VectorMetadata) {
    const key = String(metadata.service ?? "");
    let b = space.get(key);
    if (!b) { b = new Map(); space.set(key, b); }
    return b;
  }
  private find(space: Map<string, Map<string, Entry>>, id: string) {
    for (const b of space.values()) { const e = b.get(id); if (e) return e; }
    return undefined;
  }
  private remove(space: Map<string, Map<string, Entry>>, id: string) {
    for (const b of space.values()) if (b.delete(id)) this.lsh.get(b)?.remove(id);
  }

  private put(bucket: Map<string, Entry>, e: Entry) {
    bucket.set(e.id, e);
    let lsh = this.lsh.get(bucket);
    if (lsh) lsh.add(e.id, e.vector);
    else if (bucket.size > EXACT_SCAN_LIMIT) {
      lsh = new LshTables(e.vector.length);
      for (const x of bucket.values()) lsh.add(x.id, x.vector);
      this.lsh.set(bucket, lsh);
    }
  }
}

const byScore = (a: VectorMatch, b: VectorMatch) => b.score - a.score;

/** Vectors are L2-normalised by every embedder, so the dot product is the cosine. */
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
};
