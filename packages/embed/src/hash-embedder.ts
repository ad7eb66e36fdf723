import type { Embedder, EmbedderThresholds } from "@ir/core";
import { stem } from "@ir/core";
import { rawWords } from "./words";

const DIMENSIONS = 512;
const STOP = new Set("a an and are as at be by for from has have in into is it of on or that the this to was were with".split(" "));

/** Weights of the three feature kinds: whole words dominate, word pairs add order, character grams add spelling tolerance. */
const WORD = 1;
const PAIR = 0.6;
const GRAM = 0.2;

/** FNV-1a, 32 bits: fast, stable across runtimes and releases (vectors are stored and compared later). */
const fnv1a = (s: string, seed: number): number => {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

/** Signed feature hashing: the sign comes from an independent hash, so collisions cancel out on average instead of piling up. */
const add = (v: Float32Array, feature: string, weight: number): void => {
  const h = fnv1a(feature, 0);
  const sign = fnv1a(feature, 0x5bd1e995) & 1 ? 1 : -1;
  v[h & (DIMENSIONS - 1)] += sign * weight;
};

/**
 * Offline, deterministic embedder: signed feature hashing of stemmed words (identifiers split on
 * CamelCase and snake_case), word bigrams and character trigrams, L2-normalised. No model, no I/O:
 * tens of thousands of texts per second on one core. Values (numbers, ids, placeholders) are ignored,
 * so a raw alarm and its masked form embed alike.
 *
 * Thresholds, calibrated with test/eval/harness.ts --calibrate on the shared evaluation data:
 * - merge 0.95: of pairs of distinct masked LogHub messages from different ground-truth groups, 0.02%
 *   reach it (0.10% at 0.90). A vector-only merge also needs the same words in another order (see
 *   decide), so this only has to confirm a reordering, never to tell events apart.
 * - related 0.6: reached by 93% of same-group pairs and 0.7% of different-group pairs.
 * - runbook 0.2 (on RunbookIndex's fused score, the 55 runbooks plus the global defaults): 98% of the
 *   right runbooks ranked first for the 165 Kubernetes alerts reach it, and 1.9% of the best runbooks
 *   for LogHub messages, which none of them answer; about where the two error rates cross
 *   (0.18: 99.4% / 2.4%, 0.25: 94.8% / 1.1%).
 */
export class HashEmbedder implements Embedder {
  readonly id = "hash-v1";
  readonly dimensions = DIMENSIONS;
  readonly thresholds: EmbedderThresholds = { merge: 0.95, related: 0.6, runbook: 0.2 };

  embed(texts: string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedOne(t)));
  }

  embedOne(text: string): Float32Array {
    return embedOne(text);
  }
}

/** The HashEmbedder vector of one text, synchronously (the stage and the harness embed one message at a time). */
export function embedOne(text: string): Float32Array {
  const v = new Float32Array(DIMENSIONS);
  let prev: string | null = null;
  for (const raw of rawWords(text)) {
    if (STOP.has(raw)) {
      prev = null;
      continue;
    }
    const w = stem(raw);
    add(v, w, WORD);
    if (prev !== null) add(v, `${prev} ${w}`, PAIR);
    prev = w;
    if (raw.length > 3) {
      const padded = `^${raw}$`;
      const grams = padded.length - 2;
      const each = GRAM / Math.sqrt(grams);
      for (let i = 0; i < grams; i++) add(v, padded.slice(i, i + 3), each);
    }
  }
  let norm = 0;
  for (let i = 0; i < DIMENSIONS; i++) norm += v[i] * v[i];
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < DIMENSIONS; i++) v[i] *= inv;
  }
  return v;
}

/** Cosine of two L2-normalised vectors (their dot product). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}
