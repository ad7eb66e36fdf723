import { RetryLater, type VectorIndex, type VectorMatch, type VectorMetadata } from "@ir/core";
import type { Index } from "@pinecone-database/pinecone";
import { bucketOf, REPAIR_AFTER_MS, type RecentEntry, type RecentVectors } from "./recent-vectors";

/** A 1536-dimension vector is ~20 KB of JSON; Pinecone takes 2 MB per upsert request. */
const UPSERT_CHUNK = 50;
const DELETE_CHUNK = 1000;

export type PineconeConnection = () => Promise<Index>;

const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
};

const matchesFilter = (metadata: VectorMetadata, filter: Record<string, string>) =>
  Object.entries(filter).every(([k, v]) => metadata[k] === v);

const isNotFound = (err: unknown) => err instanceof Error && err.name === "PineconeNotFoundError";

/** Rate limits become RetryLater so the SQS record waits instead of burning its attempts. */
const rethrow = (err: unknown): never => {
  if (err instanceof Error && /429|rate limit|Too Many Requests/i.test(`${err.name} ${err.message}`)) throw new RetryLater(`Pinecone: ${err.message}`, 5_000);
  throw err;
};

/**
 * Pinecone (namespace `tenant_<id>`, metadata as in DESIGN §5) behind the read-your-writes buffer of
 * {@link RecentVectors}: every write is recorded there first, queries merge it over Pinecone's answer, and
 * a write whose Pinecone half never happened is redone by the next reader of that service.
 */
export class PineconeVectorIndex implements VectorIndex {
  private index: Promise<Index> | null = null;

  constructor(private readonly connect: PineconeConnection, private readonly recent: RecentVectors) {}

  async upsert(namespace: string, items: Array<{ id: string; vector: Float32Array; metadata: VectorMetadata }>) {
    if (!items.length) return;
    const entries = await this.recent.write(namespace, items.map((i) => ({ id: i.id, bucket: bucketOf(i.metadata), kind: "upsert" as const, vector: i.vector, metadata: i.metadata })));
    await this.sync(namespace, entries);
  }

  async query(namespace: string, vector: Float32Array, opts: { topK: number; filter: Record<string, string> }): Promise<VectorMatch[]> {
    const [recent, index] = await Promise.all([this.recent.read(namespace, opts.filter.service), this.pinecone()]);
    const now = Date.now();
    const live = recent.filter((e) => !(e.synced && e.expiresAt !== undefined && e.expiresAt * 1000 <= now));
    const expired = recent.filter((e) => !live.includes(e));
    const orphans = live.filter((e) => !e.synced && now - e.at > REPAIR_AFTER_MS);
    const filter = Object.keys(opts.filter).length ? Object.fromEntries(Object.entries(opts.filter).map(([k, v]) => [k, { $eq: v }])) : undefined;
    // Ask Pinecone for a few more than needed: entries overridden here (deleted, re-labelled) may drop out.
    const overridden = live.filter((e) => e.kind !== "upsert").length;
    const answer = await index.namespace(namespace).query({ vector: Array.from(vector), topK: opts.topK + Math.min(overridden, 20), filter, includeMetadata: true }).catch(rethrow);

    const byId = new Map<string, VectorMatch>();
    for (const m of answer.matches ?? []) byId.set(m.id, { id: m.id, score: m.score ?? 0, metadata: (m.metadata ?? {}) as VectorMetadata });
    for (const e of live.sort((a, b) => a.at - b.at)) {
      if (e.kind === "delete") byId.delete(e.id);
      else if (e.kind === "patch") { const m = byId.get(e.id); if (m) m.metadata = { ...m.metadata, ...e.metadata }; }
      else if (e.vector) byId.set(e.id, { id: e.id, score: cosine(vector, e.vector), metadata: e.metadata });
    }
    const matches = [...byId.values()].filter((m) => matchesFilter(m.metadata, opts.filter)).sort((a, b) => b.score - a.score).slice(0, opts.topK);

    // Housekeeping on the read path: nothing else runs between alarms. TTL also deletes, but lazily.
    if (orphans.length) await this.sync(namespace, orphans);
    if (expired.length) await this.recent.remove(namespace, expired);
    return matches;
  }

  async update(namespace: string, id: string, metadata: VectorMetadata) {
    const service = typeof metadata.service === "string" ? metadata.service : undefined;
    const existing = await this.recent.find(namespace, id, service);
    if (existing?.kind === "delete") return;
    const entry = existing
      ? { id, bucket: existing.bucket, kind: existing.kind, vector: existing.vector, metadata: { ...existing.metadata, ...metadata } }
      : { id, bucket: bucketOf(metadata), kind: "patch" as const, metadata };
    const [written] = await this.recent.write(namespace, [entry]);
    await this.sync(namespace, [written]);
  }

  async delete(namespace: string, ids: string[]) {
    if (!ids.length) return;
    const known = await this.recent.read(namespace, undefined);
    const buckets = new Map(known.map((e) => [e.id, e.bucket]));
    const entries = await this.recent.write(namespace, ids.map((id) => ({ id, bucket: buckets.get(id) ?? "_", kind: "delete" as const, metadata: {} })));
    await this.sync(namespace, entries);
  }

  async deleteNamespace(namespace: string) {
    const index = await this.pinecone();
    await index.deleteNamespace(namespace).catch((err) => { if (!isNotFound(err)) rethrow(err); });
    await this.recent.dropNamespace(namespace);
  }

  /** Applies entries to Pinecone, then marks them synced: a crash in between leaves them for repair. */
  private async sync(namespace: string, entries: RecentEntry[]) {
    const ns = (await this.pinecone()).namespace(namespace);
    const upserts = entries.filter((e) => e.kind === "upsert" && e.vector);
    for (let i = 0; i < upserts.length; i += UPSERT_CHUNK) {
      await ns.upsert({ records: upserts.slice(i, i + UPSERT_CHUNK).map((e) => ({ id: e.id, values: Array.from(e.vector!), metadata: e.metadata })) }).catch(rethrow);
    }
    for (const e of entries.filter((x) => x.kind === "patch")) {
      // Updating a vector Pinecone has not got yet fails; the upsert entry that carries it will bring the metadata.
      await ns.update({ id: e.id, metadata: e.metadata }).catch((err) => { if (!isNotFound(err)) rethrow(err); });
    }
    const deletes = entries.filter((e) => e.kind === "delete").map((e) => e.id);
    for (let i = 0; i < deletes.length; i += DELETE_CHUNK) {
      await ns.deleteMany({ ids: deletes.slice(i, i + DELETE_CHUNK) }).catch((err) => { if (!isNotFound(err)) rethrow(err); });
    }
    await this.recent.markSynced(namespace, entries);
  }

  private pinecone(): Promise<Index> {
    // Connected on first use: stages that never touch the index never load the client.
    this.index ??= this.connect().catch((err) => { this.index = null; throw err; });
    return this.index;
  }
}
