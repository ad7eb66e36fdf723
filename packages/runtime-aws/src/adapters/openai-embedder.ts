import { createHash } from "node:crypto";
import { setRecent, type Embedder, type EmbedderThresholds } from "@ir/core";
import type OpenAI from "openai";
import type { DynamoTable } from "../dynamo-table";
import { pk, sk, ttlIn } from "../table";
import { classifyOpenAiError } from "./openai-errors";

export type OpenAiConnection = () => Promise<OpenAI>;

const DIMENSIONS: Record<string, number> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536,
};

/**
 * Cosines of text-embedding-3-small sit lower and closer together than older models' (unrelated log lines
 * score ~0.1–0.3, one problem in other words ~0.75–0.9, one masked template ~0.95+). Merging starts where
 * rephrasings of one failure cluster and distinct failures of one service do not; a runbook is matched on
 * the fused score of an alarm against a whole document, which runs far lower than alarm-to-alarm scores.
 */
export const OPENAI_SMALL_THRESHOLDS: EmbedderThresholds = { merge: 0.86, related: 0.7, runbook: 0.4 };

/** Inputs per embeddings request; OpenAI allows 2048, but also caps tokens per request. */
const REQUEST_INPUTS = 256;
const CACHE_TTL_S = 30 * 24 * 3600;
const MEMORY_ENTRIES = 2000;

const textHash = (model: string, text: string) => createHash("sha256").update(model).update("\0").update(text).digest("base64url");
const decode = (b64: string) => {
  const bytes = Buffer.from(b64, "base64");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const toBytes = (v: Float32Array) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));

/**
 * OpenAI embeddings, asked for in base64 (a quarter of the JSON of a float array, decoded straight into a
 * Float32Array). Storms repeat the same masked text, so vectors are cached by text hash: in memory for the
 * container's life and in DynamoDB under the tenant's partition (so a tenant erase removes them too).
 */
export class OpenAiEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly thresholds = OPENAI_SMALL_THRESHOLDS;
  private readonly memory: Map<string, Float32Array>;

  constructor(
    private readonly connect: OpenAiConnection,
    private readonly model: string,
    private readonly table: DynamoTable,
    private readonly tenantId: string | null = null,
    memory?: Map<string, Float32Array>,
  ) {
    this.id = `openai:${model}`;
    this.dimensions = DIMENSIONS[model] ?? 1536;
    this.memory = memory ?? new Map();
  }

  /** The same embedder, caching in one tenant's partition (the port carries no tenant; the record does). */
  forTenant(tenantId: string): OpenAiEmbedder {
    return new OpenAiEmbedder(this.connect, this.model, this.table, tenantId, this.memory);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const hashes = texts.map((t) => textHash(this.model, t));
    const found = new Map<string, Float32Array>();
    for (const h of hashes) { const v = this.memory.get(h); if (v) found.set(h, v); }

    const tenant = this.tenantId;
    let missing = [...new Set(hashes.filter((h) => !found.has(h)))];
    if (tenant && missing.length) {
      const items = await this.table.batchGet(missing.map((h) => ({ pk: pk.tenant(tenant), sk: sk.embedding(this.model, h) })), false);
      for (const item of items) found.set((item.sk as string).slice(sk.embedding(this.model, "").length), decode(Buffer.from(item.vec as Uint8Array).toString("base64")));
      missing = missing.filter((h) => !found.has(h));
    }

    if (missing.length) {
      const textOf = new Map(hashes.map((h, i) => [h, texts[i]]));
      const fresh = await this.fetch(missing.map((h) => textOf.get(h)!));
      missing.forEach((h, i) => found.set(h, fresh[i]));
      if (tenant) {
        const expires = ttlIn(Date.now(), CACHE_TTL_S);
        await this.table.batchPut(missing.map((h, i) => ({ pk: pk.tenant(tenant), sk: sk.embedding(this.model, h), vec: toBytes(fresh[i]), expires_at: expires })));
      }
    }

    for (const [h, v] of found) this.remember(h, v);
    return hashes.map((h) => found.get(h)!);
  }

  private async fetch(texts: string[]): Promise<Float32Array[]> {
    const client = await this.connect();
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += REQUEST_INPUTS) {
      const chunk = texts.slice(i, i + REQUEST_INPUTS);
      const res = await client.embeddings.create({ model: this.model, input: chunk, encoding_format: "base64" }).catch((err) => { throw classifyOpenAiError(err); });
      const ordered = [...res.data].sort((a, b) => a.index - b.index);
      out.push(...ordered.map((d) => decode(d.embedding)));
    }
    return out;
  }

  private remember(hash: string, vector: Float32Array) {
    setRecent(this.memory, hash, vector, MEMORY_ENTRIES);
  }
}
