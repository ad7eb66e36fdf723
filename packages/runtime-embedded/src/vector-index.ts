import type { VectorIndex, VectorMatch, VectorMetadata } from "@ir/core";
import type { Db } from "./db";
import { KEEP, LshTables, WIDE } from "./lsh";
import { PackedVectors } from "./packed-vectors";
import { grown } from "./typed-arrays";

/** Up to this many vectors a shard is scanned exactly; beyond it LSH picks the candidates (see lsh.ts). */
export const EXACT_SCAN_LIMIT = 4096;
/** Entries hashed into tables under construction per write: building never stalls one decision. */
const BUILD_STEP = 32;

/** The vector itself lives only packed (see PackedVectors): 100k Float32Arrays would hold 200 MB for nothing. */
interface Entry { id: string; metadata: VectorMetadata; slot: number }

/**
 * Cosine search held in memory, persisted in SQLite. Entries are kept in one shard per service and status,
 * the fields queries filter on, so a query looks only where its matches are: a dedup query at one service's
 * incidents, not the tenant's, and "similar past resolutions" at its RESOLVED ones instead of hunting for
 * them among 100k OPEN. A shard past EXACT_SCAN_LIMIT gets LSH tables, and only their candidates are scored.
 */
export class LocalVectorIndex implements VectorIndex {
  private readonly spaces = new Map<string, Space>();
  /** Namespaces written since the last commit: all that a rollback can have made wrong in memory. */
  private readonly written = new Set<string>();
  private readonly upsertStmt;
  private readonly metadataStmt;
  private readonly deleteStmt;

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare("INSERT OR REPLACE INTO vectors (namespace, id, vector, metadata) VALUES (?, ?, ?, ?)");
    this.metadataStmt = db.prepare("UPDATE vectors SET metadata = ? WHERE namespace = ? AND id = ?");
    this.deleteStmt = db.prepare("DELETE FROM vectors WHERE namespace = ? AND id = ?");
  }

  /** Drop cached namespaces (rows changed behind the index's back: retention, an erase); they reload from SQLite. */
  invalidate() { this.spaces.clear(); this.written.clear(); }
  /**
   * After a rollback: drop the namespaces written since the last commit, which may hold what was undone. Only
   * those: reloading one of 100k vectors stalls the event loop for seconds, and a retried message rolls back.
   */
  rolledBack() { for (const ns of this.written) this.spaces.delete(ns); this.written.clear(); }
  /** After a commit, what was written is what SQLite holds. */
  committed() { this.written.clear(); }
  /** Drop one namespace from memory only: its rows were deleted by another connection (an erase there). */
  forget(namespace: string) { this.spaces.delete(namespace); }

  async upsert(namespace: string, items: Array<{ id: string; vector: Float32Array; metadata: VectorMetadata }>) {
    const space = this.space(namespace);
    this.written.add(namespace);
    for (const it of items) {
      this.upsertStmt.run(namespace, it.id, Buffer.from(it.vector.buffer, it.vector.byteOffset, it.vector.byteLength), JSON.stringify(it.metadata));
      space.put(it.id, it.vector, it.metadata);
    }
  }

  /** Entries the last query drew as candidates, over all its shards: what its cost grows with (tests bound it). */
  lastCandidates = 0;

  async query(namespace: string, vector: Float32Array, opts: { topK: number; filter: Record<string, string> }): Promise<VectorMatch[]> {
    const top = new TopK(opts.topK, Object.entries(opts.filter));
    this.lastCandidates = 0;
    for (const shard of this.space(namespace).shards(opts.filter)) this.lastCandidates += shard.search(vector, top);
    return top.matches();
  }

  /** A status or template change: the vector stays packed and hashed, unless the entry changes shard. */
  async update(namespace: string, id: string, metadata: VectorMetadata) {
    const space = this.space(namespace);
    const shard = space.holder(id);
    const entry = shard?.get(id);
    if (!shard || !entry) return;
    this.written.add(namespace);
    const merged = { ...entry.metadata, ...metadata };
    this.metadataStmt.run(JSON.stringify(merged), namespace, id);
    if (shard.fits(merged)) entry.metadata = merged;
    else space.put(id, shard.vector(entry), merged);
  }

  async delete(namespace: string, ids: string[]) {
    const space = this.space(namespace);
    this.written.add(namespace);
    for (const id of ids) {
      this.deleteStmt.run(namespace, id);
      space.remove(id);
    }
  }

  async deleteNamespace(namespace: string) {
    this.db.prepare("DELETE FROM vectors WHERE namespace = ?").run(namespace);
    this.spaces.delete(namespace);
  }

  private space(namespace: string) {
    let space = this.spaces.get(namespace);
    if (space) return space;
    space = new Space();
    const rows = this.db.prepare("SELECT id, vector, metadata FROM vectors WHERE namespace = ?").all(namespace) as Array<{ id: string; vector: Buffer; metadata: string }>;
    for (const r of rows) {
      const vector = new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + r.vector.byteLength));
      space.put(r.id, vector, JSON.parse(r.metadata) as VectorMetadata, false);
    }
    space.buildAll();
    this.spaces.set(namespace, space);
    return space;
  }
}

const serviceOf = (m: VectorMetadata) => String(m.service ?? "");
const statusOf = (m: VectorMetadata) => String(m.status ?? "");

/** One namespace: shards by service, then status, and which shard holds each id. */
class Space {
  private readonly byService = new Map<string, Map<string, Shard>>();
  private readonly where = new Map<string, Shard>();

  holder(id: string) { return this.where.get(id); }

  /** The shards whose entries can match `filter`. */
  *shards(filter: Record<string, string>) {
    const services = filter.service !== undefined ? [this.byService.get(filter.service)] : this.byService.values();
    for (const byStatus of services) {
      if (!byStatus) continue;
      if (filter.status === undefined) yield* byStatus.values();
      else { const shard = byStatus.get(filter.status); if (shard) yield shard; }
    }
  }

  put(id: string, vector: Float32Array, metadata: VectorMetadata, build = true) {
    this.remove(id);
    const service = serviceOf(metadata), status = statusOf(metadata);
    let byStatus = this.byService.get(service);
    if (!byStatus) this.byService.set(service, (byStatus = new Map()));
    let shard = byStatus.get(status);
    if (!shard) byStatus.set(status, (shard = new Shard(service, status)));
    shard.put(id, vector, metadata, build);
    this.where.set(id, shard);
  }

  /** After a load: every shard's tables at once, around the mean of all its vectors. */
  buildAll() {
    for (const byStatus of this.byService.values()) for (const shard of byStatus.values()) shard.build(Infinity);
  }

  remove(id: string) {
    this.where.get(id)?.remove(id);
    this.where.delete(id);
  }
}

/**
 * The vectors of one service and status: entries by id, their packed copies by slot, and LSH tables once
 * it is large. The tables are centred on the mean vector of the entries they were built for; when the shard
 * has doubled since, new tables are built around the new mean, BUILD_STEP entries per write, while the old
 * ones (or the exact scan, the first time) keep answering. Centred on the first few thousand alarms of a
 * service for good, they would cut its later ones unevenly, and recall would fall as it grew.
 */
class Shard {
  private readonly entries = new Map<string, Entry>();
  private readonly bySlot: Array<Entry | undefined> = [];
  private readonly free: number[] = [];
  private readonly packed = new PackedVectors();
  private lsh: LshTables | undefined;
  private building: { lsh: LshTables; todo: number[]; size: number } | undefined;
  /** Entries when the tables in use were started. */
  private builtFor = 0;
  private scratch = new Float32Array(0);
  /** Scores of an exact scan, by slot. */
  private scores = new Float32Array(0);
  /** The longest vector held: a shorter query is zero-padded to it rather than read out of bounds. */
  private dims = 0;

  constructor(private readonly service: string, private readonly status: string) {}

  /** Whether an entry with this metadata belongs here. */
  fits(m: VectorMetadata) { return serviceOf(m) === this.service && statusOf(m) === this.status; }

  get(id: string) { return this.entries.get(id); }

  /** The stored vector, unpacked. */
  vector(e: Entry) { return this.packed.unpack(e.slot, this.dims); }

  /** `build`: take a step in building tables; a load passes false and builds them whole at the end. */
  put(id: string, vector: Float32Array, metadata: VectorMetadata, build = true) {
    this.remove(id);
    const slot = this.free.pop() ?? this.bySlot.length;
    const entry: Entry = { id, metadata, slot };
    this.entries.set(id, entry);
    this.bySlot[slot] = entry;
    this.packed.set(slot, vector);
    this.dims = Math.max(this.dims, vector.length);
    this.lsh?.add(slot, vector);
    this.building?.lsh.add(slot, vector);
    if (build) this.build(BUILD_STEP);
  }

  /** Starts new tables if the shard has doubled since the last ones, and hashes up to `step` entries into them. */
  build(step: number) {
    const size = this.entries.size;
    if (!this.building && size > EXACT_SCAN_LIMIT && size >= 2 * this.builtFor) {
      const todo = [...this.entries.values()].map((e) => e.slot);
      this.building = { lsh: new LshTables(this.dims, this.packed.mean(this.dims, size)), todo, size };
    }
    const b = this.building;
    if (!b) return;
    if (this.scratch.length !== this.dims) this.scratch = new Float32Array(this.dims);
    // A slot freed meanwhile is skipped; one reused was added already, and adding again is harmless.
    for (let k = 0; k < step && b.todo.length; k++) {
      const slot = b.todo.pop()!;
      if (this.bySlot[slot]) b.lsh.add(slot, this.packed.unpackInto(slot, this.scratch));
    }
    if (b.todo.length) return;
    this.lsh = b.lsh;
    this.builtFor = b.size;
    this.building = undefined;
  }

  remove(id: string) {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.bySlot[entry.slot] = undefined;
    this.free.push(entry.slot);
    this.packed.clear(entry.slot);
    this.lsh?.remove(entry.slot);
    this.building?.lsh.remove(entry.slot);
  }

  /** Returns how many entries it drew as candidates. */
  search(query: Float32Array, top: TopK): number {
    const q = query.length < this.dims ? grown(query, this.dims) : query;
    // Filters are checked only for a score that would make the cut: most candidates never pay for the metadata lookup.
    if (!this.lsh) {
      const slots = this.bySlot.length;
      if (this.scores.length < slots) this.scores = new Float32Array(Math.max(1024, 2 * slots));
      this.packed.dotAll(q, slots, this.scores);
      for (let slot = 0; slot < slots; slot++) {
        const e = this.bySlot[slot];
        if (e && top.wants(this.scores[slot])) top.offer(this.scores[slot], e);
      }
      return slots;
    }
    const consider = (slot: number) => {
      const score = this.packed.dot(slot, q);
      if (top.wants(score)) top.offer(score, this.bySlot[slot]!);
    };
    const slots = this.lsh.candidates(q);
    const kept = Math.min(KEEP, slots.length);
    for (let i = 0; i < kept; i++) consider(slots[i]);
    if (!top.rejected) return slots.length;
    // A filter on a field the shards are not split by turned entries away: its matches may be few among the
    // nearest, so look further, and check it before scoring, since most of what is found now fails it.
    const drawn = slots.length; // `slots` is scratch that the next call overwrites
    const wide = this.lsh.candidates(q, WIDE, Infinity);
    for (const slot of wide) {
      const e = this.bySlot[slot]!;
      if (top.passes(e) && !top.holds(e)) consider(slot);
    }
    return drawn + wide.length;
  }
}

/** The best `k` entries passing the filter, best first; ties keep the entry seen first. */
class TopK {
  private readonly scores: number[] = [];
  private readonly entries: Entry[] = [];
  /** Entries that scored high enough but failed the filter. */
  rejected = 0;

  constructor(private readonly k: number, private readonly filters: Array<[string, string]>) {}

  wants(score: number) { return this.scores.length < this.k || score > this.scores[this.scores.length - 1]; }

  passes(e: Entry) {
    for (const [key, value] of this.filters) if (e.metadata[key] !== value) return false;
    return true;
  }

  holds(e: Entry) { return this.entries.includes(e); }

  offer(score: number, e: Entry) {
    if (!this.passes(e)) { this.rejected++; return; }
    let i = Math.min(this.scores.length, this.k - 1);
    if (this.scores.length < this.k) { this.scores.push(score); this.entries.push(e); }
    for (; i > 0 && this.scores[i - 1] < score; i--) { this.scores[i] = this.scores[i - 1]; this.entries[i] = this.entries[i - 1]; }
    this.scores[i] = score;
    this.entries[i] = e;
  }

  matches(): VectorMatch[] { return this.entries.map((e, i) => ({ id: e.id, score: this.scores[i], metadata: e.metadata })); }
}
