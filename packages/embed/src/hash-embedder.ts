import type { Embedder, EmbedderThresholds } from "@ir/core";
import { rawWords, stem } from "./words";

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
 * thousands of texts per second on one core. Values (numbers, ids, placeholders) are ignored, so the
 * raw alarm and its masked form embed alike.
 *
 * Thresholds, calibrated on the LogHub 2k corpora (test/eval/harness.ts, eight systems, 2,000
 * messages each) and the prometheus-operator runbooks with their 165 alerts:
 * - merge 0.97: the cosine above which two masked messages of *different* ground-truth groups are
 *   rare enough that a vector-only merge keeps pairwise precision at 0.99; the template matcher does
 *   most merging, this catches rewordings it cannot align.
 * - related 0.6: below it, pairs of different groups stop sharing their subsystem vocabulary.
 * - runbook 0.3: the fused runbook score (see RunbookIndex) that separates the right runbook for the
 *   alerts from the best-scoring runbook for LogHub messages, which have no runbook in that set.
 */
export class HashEmbedder implements Embedder {
  readonly id = "hash-v1";
  readonly dimensions = DIMENSIONS;
  readonly thresholds: EmbedderThresholds = { merge: 0.97, related: 0.6, runbook: 0.3 };

  embed(texts: string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedOne(t)));
  }

  embedOne(text: string): Float32Array {
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
}

/** Cosine of two L2-normalised vectors (their dot product). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}
