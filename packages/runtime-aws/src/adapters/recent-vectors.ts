import type { VectorMetadata } from "@ir/core";
import type { DynamoTable, Item, Key } from "../dynamo-table";
import { pk, ttlIn } from "../table";

/**
 * Pinecone applies writes asynchronously: an incident upserted a moment ago may be missing from a query,
 * and a resolved one may still say OPEN. Lambda runs batches in parallel, so the next alarm of a storm is
 * exactly that moment. Every index write is therefore first recorded here (strongly consistent DynamoDB),
 * queries merge these entries over Pinecone's answer, and the entry is the write-ahead record that repairs
 * Pinecone if the process dies before (or while) writing it.
 *
 * An entry is the desired state of one vector: `upsert` (vector + full metadata), `patch` (metadata only)
 * or `delete`. It is `synced` once Pinecone acknowledged it, and then kept for FRESHNESS_S (Pinecone's
 * usual freshness is seconds) before it expires. Entries are bucketed by `service`, the filter every dedup
 * query carries, so a query reads one service's recent writes.
 */
export const FRESHNESS_S = 120;
/** An unsynced entry this old lost its writer: the next reader redoes the Pinecone write. */
export const REPAIR_AFTER_MS = 20_000;

export type EntryKind = "upsert" | "patch" | "delete";
export interface RecentEntry {
  id: string;
  /** The `service` the vector belongs to ("_" when it has none): entries of one service are read together. */
  bucket: string;
  kind: EntryKind;
  vector?: Float32Array;
  metadata: VectorMetadata;
  at: number;
  synced: boolean;
  expiresAt?: number;
}

export const bucketOf = (metadata: VectorMetadata) => (typeof metadata.service === "string" ? metadata.service : "_");
// Encoded so a service name containing '#' cannot reach into another service's key range.
const bucketPrefix = (bucket: string) => `${encodeURIComponent(bucket)}#`;
const entryKey = (namespace: string, bucket: string, id: string): Key => ({ pk: pk.recentVectors(namespace), sk: bucketPrefix(bucket) + id });

const toBytes = (v: Float32Array) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
// Copy into a fresh buffer: DynamoDB's bytes need not be 4-byte aligned for a Float32Array view.
const toVector = (b: Uint8Array) => new Float32Array(Uint8Array.from(b).buffer);

const fromItem = (item: Item): RecentEntry => ({
  id: item.id as string,
  bucket: item.bucket as string,
  kind: item.kind as EntryKind,
  vector: item.vec ? toVector(item.vec as Uint8Array) : undefined,
  metadata: (item.meta ?? {}) as VectorMetadata,
  at: item.at as number,
  synced: item.synced === true,
  expiresAt: item.expires_at as number | undefined,
});

export class RecentVectors {
  constructor(private readonly table: DynamoTable) {}

  async write(namespace: string, entries: Array<Omit<RecentEntry, "synced" | "at">>): Promise<RecentEntry[]> {
    const at = Date.now();
    const written = entries.map((e) => ({ ...e, at, synced: false }));
    await this.table.batchPut(written.map((e) => ({
      ...entryKey(namespace, e.bucket, e.id),
      id: e.id, bucket: e.bucket, kind: e.kind, meta: e.metadata, at: e.at, synced: false,
      ...(e.vector ? { vec: toBytes(e.vector) } : {}),
    })));
    return written;
  }

  /** Marks entries acknowledged by Pinecone, unless a newer write replaced them meanwhile. */
  async markSynced(namespace: string, entries: RecentEntry[]) {
    await Promise.all(entries.map((e) =>
      this.table.update(entryKey(namespace, e.bucket, e.id), "SET synced = :t, expires_at = :exp", {
        condition: "#at = :at", names: { "#at": "at" }, values: { ":t": true, ":exp": ttlIn(Date.now(), FRESHNESS_S), ":at": e.at },
      }).catch((err: Error) => { if (err.name !== "ConditionalCheckFailedException") throw err; })));
  }

  /** Entries of one service's bucket (or, without a service, of the whole namespace), read strongly consistent. */
  async read(namespace: string, service: string | undefined): Promise<RecentEntry[]> {
    const items = service === undefined
      ? await this.table.queryAll(pk.recentVectors(namespace))
      : await this.table.queryAll(pk.recentVectors(namespace), bucketPrefix(service));
    return items.map(fromItem);
  }

  async find(namespace: string, id: string, service: string | undefined): Promise<RecentEntry | undefined> {
    if (service !== undefined) {
      const item = await this.table.get(entryKey(namespace, service, id));
      return item ? fromItem(item) : undefined;
    }
    return (await this.read(namespace, undefined)).find((e) => e.id === id);
  }

  async remove(namespace: string, entries: RecentEntry[]) {
    await this.table.batchDelete(entries.map((e) => entryKey(namespace, e.bucket, e.id)));
  }

  async dropNamespace(namespace: string) {
    const items = await this.table.queryAll(pk.recentVectors(namespace), undefined, "pk, sk");
    await this.table.batchDelete(items as unknown as Key[]);
  }
}
