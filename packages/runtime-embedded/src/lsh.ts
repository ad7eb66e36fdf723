import { seededRandom } from "@ir/core";
import { grown } from "./typed-arrays";

/**
 * Candidate generation for large services of the local vector index: random-hyperplane LSH over several
 * tables, query-directed multi-probing (Lv et al., VLDB 2007), a bounded candidate count, and a SimHash
 * re-ranking that leaves only a few hundred candidates for the exact cosine.
 *
 * What keeps a query cheap whatever the data looks like:
 * - Hyperplanes pass through the service's mean vector, not the origin. A service's alarms share
 *   boilerplate (its name, "failed", "after … attempts"), so its vectors sit in a narrow cone: through
 *   the origin every plane cuts the cone alike, a few buckets hold most vectors and a query draws tens
 *   of thousands of candidates. Through the mean each bit splits the service about evenly, and only
 *   what tells alarms apart decides where a vector lands. (The index rebuilds the tables as a service
 *   grows, so the mean they were built around stays that of most of its vectors.)
 * - Buckets are probed in order of how likely they hold a near neighbour, until CANDIDATE_BUDGET
 *   candidates are in or MAX_PROBES buckets were looked at.
 * - The KEEP candidates nearest by Hamming distance between signatures (all tables' bits together estimate
 *   the angle) come first, found by reading one cache line per candidate instead of its vector; the index
 *   scores only them unless a filter turns some away.
 *
 * Recall is set by the number of probes, cost by probes and candidates: both are bounded, so a query
 * costs about the same at 10k as at 100k vectors (test/vector-index.test.ts holds the recall to account).
 */
export interface LshShape {
  tables: number;
  /** At most 16: keys are stored as 16-bit words. */
  bits: number;
}

/**
 * Chosen on 100k one-shape alarms (test/bench/decision.ts's) and reworded copies of them: 16 tables of 14 bits
 * find the nearest neighbour for 99.7% of queries whose neighbour is at cosine ≥ 0.9 and 97.6% at 0.85–0.9,
 * in ~500 probes; 12 tables or 16 bits need more probes for the same recall.
 */
export const LSH_SHAPE: LshShape = { tables: 16, bits: 14 };
/** Probing stops once this many candidates are in: cost then stays flat as a service grows. */
export const CANDIDATE_BUDGET = 3072;
/** …or after this many buckets, for a young index whose buckets are mostly empty: recall depends on probes, not on size. */
export const MAX_PROBES = 1024;
/** Candidates put first for the exact cosine by the Hamming cut: more did not find a single further neighbour. */
export const KEEP = 256;
/** How much further than usual `candidates(v, WIDE)` probes, for a filter that leaves few matches. */
export const WIDE = 4;

/** Slots are the caller's small integers (dense, reused after removal), so the tables hold numbers, not objects. */
export class LshTables {
  private readonly planeCount: number;
  private readonly planes: Float32Array;
  private readonly offsets: Float64Array;
  /** Bucket (table t, key k) at [t << bits | k]: slots, or undefined while empty. */
  private readonly buckets: Array<number[] | undefined>;
  /** 16-bit words per slot in `keys`: the tables, rounded up to even so that they read as 32-bit words. */
  private readonly stride: number;
  /** Per slot, its key in every table (removal needs them; the Hamming cut reads them as 32-bit words). */
  private keys = new Uint16Array(0);
  private words = new Uint32Array(0);
  private held = new Uint8Array(0);
  /** Per slot, the query that last took it, so a slot found in several tables is returned once. */
  private marks = new Uint32Array(0);
  private mark = 0;
  private count = 0;
  // Scratch reused by every query: probing allocates nothing but the odd growth of `out`.
  private readonly proj: Float64Array;
  /** Per table, its bits from the nearest plane to the farthest. */
  private readonly order: Int32Array;
  private readonly probes: ProbeHeap;
  // Typed, with a count: `array.length = 0` drops a JS array's storage, and refilling it allocated ~100 KB a query.
  private out = new Int32Array(2 * CANDIDATE_BUDGET);
  private outLen = 0;
  private spill = new Int32Array(2 * CANDIDATE_BUDGET);
  private readonly qkeys: Uint16Array;
  private readonly qwords: Uint32Array;
  private readonly hist: Int32Array;
  private dist = new Uint16Array(0);

  /** `centre`, the mean of the vectors to be held, is where every plane passes through. */
  constructor(private readonly dims: number, centre: Float32Array, private readonly shape: LshShape = LSH_SHAPE) {
    if (shape.bits > 16 || shape.tables > 1023) throw new Error(`LSH shape ${shape.tables}×${shape.bits} out of range`);
    this.planeCount = shape.tables * shape.bits;
    this.planes = planes(dims, this.planeCount);
    this.offsets = new Float64Array(this.planeCount);
    this.project(centre, this.offsets);
    this.buckets = new Array<number[] | undefined>(shape.tables << shape.bits).fill(undefined);
    this.stride = (shape.tables + 1) & ~1;
    this.proj = new Float64Array(this.planeCount);
    this.order = new Int32Array(this.planeCount);
    this.probes = new ProbeHeap(shape.tables + 2 * WIDE * MAX_PROBES);
    this.qkeys = new Uint16Array(this.stride);
    this.qwords = new Uint32Array(this.qkeys.buffer);
    this.hist = new Int32Array(this.planeCount + 1);
  }

  get size() { return this.count; }

  add(slot: number, v: Float32Array) {
    this.remove(slot);
    this.reserve(slot);
    this.project(v, this.proj);
    const { tables, bits } = this.shape;
    for (let t = 0; t < tables; t++) {
      const key = this.signature(t);
      this.keys[slot * this.stride + t] = key;
      (this.buckets[(t << bits) | key] ??= []).push(slot);
    }
    this.held[slot] = 1;
    this.count++;
  }

  remove(slot: number) {
    if (!this.held[slot]) return;
    const { tables, bits } = this.shape;
    for (let t = 0; t < tables; t++) {
      const at = (t << bits) | this.keys[slot * this.stride + t];
      const b = this.buckets[at]!;
      b[b.indexOf(slot)] = b[b.length - 1];
      b.pop();
      if (!b.length) this.buckets[at] = undefined;
    }
    this.held[slot] = 0;
    this.count--;
  }

  /**
   * Slots that probably include every near neighbour of `v`, the `keep` nearest by signature first and
   * the rest in probe order; `reach` times the usual budget and probes. A view of scratch the next call overwrites.
   *
   * Every table's own bucket comes first; then buckets reached by flipping bits, cheapest first, where
   * flipping a bit costs the squared distance of the query to its plane (Lv et al.). The flip sets are
   * enumerated lazily by "shift" and "expand" over each table's bits sorted by that cost, so every set
   * comes out once, in order, and only as many are made as are probed.
   */
  candidates(v: Float32Array, reach = 1, keep = KEEP): Int32Array {
    const budget = reach * CANDIDATE_BUDGET;
    const maxProbes = Math.min(reach, WIDE) * MAX_PROBES;
    const { tables, bits } = this.shape;
    const { proj, order, probes } = this;
    this.project(v, proj);
    this.outLen = 0;
    if (++this.mark === 0xffffffff) { this.marks.fill(0); this.mark = 1; }
    probes.clear();
    for (let t = 0; t < tables; t++) {
      const home = this.signature(t);
      this.qkeys[t] = home;
      this.sortBits(t);
      this.take((t << bits) | home);
      probes.push(this.cost(t, 0), t, 0, home ^ (1 << order[t * bits]));
    }
    for (let n = tables; n < maxProbes && this.outLen < budget && probes.size; n++) {
      const score = probes.pop();
      const { table: t, last, key } = probes;
      this.take((t << bits) | key);
      if (last + 1 >= bits) continue;
      const next = 1 << order[t * bits + last + 1];
      const up = this.cost(t, last + 1);
      probes.push(score + up, t, last + 1, key ^ next); // expand: also flip the next bit
      probes.push(score - this.cost(t, last) + up, t, last + 1, key ^ (1 << order[t * bits + last]) ^ next); // shift: flip it instead
    }
    if (this.outLen > keep) this.nearestFirst(keep);
    return this.out.subarray(0, this.outLen);
  }

  private take(at: number) {
    const bucket = this.buckets[at];
    if (!bucket) return;
    if (this.outLen + bucket.length > this.out.length) this.out = grown(this.out, 2 * (this.outLen + bucket.length));
    const { marks, mark, out } = this;
    let n = this.outLen;
    for (let i = 0; i < bucket.length; i++) {
      const slot = bucket[i];
      if (marks[slot] !== mark) { marks[slot] = mark; out[n++] = slot; }
    }
    this.outLen = n;
  }

  /** Moves the `keep` slots nearest the query in Hamming distance to the front of `out`, probe order kept on both sides. */
  private nearestFirst(keep: number) {
    const { out, outLen, qwords, hist, words } = this;
    const W = this.stride >> 1;
    if (this.dist.length < outLen) this.dist = new Uint16Array(outLen * 2);
    if (this.spill.length < outLen) this.spill = new Int32Array(outLen * 2);
    const { dist, spill } = this;
    hist.fill(0);
    for (let i = 0; i < outLen; i++) {
      let h = 0;
      for (let w = 0, at = out[i] * W; w < W; w++) h += popcount(words[at + w] ^ qwords[w]);
      dist[i] = h;
      hist[h]++;
    }
    let cut = 0;
    for (let seen = hist[0]; seen < keep; seen += hist[++cut]);
    let room = keep;
    for (let h = 0; h < cut; h++) room -= hist[h];
    let n = 0, spilt = 0;
    for (let i = 0; i < outLen; i++) {
      if (dist[i] < cut || (dist[i] === cut && room-- > 0)) out[n++] = out[i];
      else spill[spilt++] = out[i];
    }
    out.set(spill.subarray(0, spilt), n);
  }

  private reserve(slot: number) {
    if (slot < this.marks.length) return;
    const cap = Math.max(1024, this.marks.length * 2, slot + 1);
    this.keys = grown(this.keys, cap * this.stride);
    this.words = new Uint32Array(this.keys.buffer);
    this.held = grown(this.held, cap);
    this.marks = grown(this.marks, cap);
  }

  private cost(t: number, rank: number) {
    const d = this.proj[t * this.shape.bits + this.order[t * this.shape.bits + rank]];
    return d * d;
  }

  /** Table t's bits in `order`, nearest plane first (insertion sort: a table has at most 16 bits). */
  private sortBits(t: number) {
    const { bits } = this.shape;
    const base = t * bits;
    for (let b = 0; b < bits; b++) {
      const d = Math.abs(this.proj[base + b]);
      let i = b;
      for (; i > 0 && Math.abs(this.proj[base + this.order[base + i - 1]]) > d; i--) this.order[base + i] = this.order[base + i - 1];
      this.order[base + i] = b;
    }
  }

  private signature(t: number): number {
    const { bits } = this.shape;
    let s = 0;
    for (let b = 0; b < bits; b++) if (this.proj[t * bits + b] > 0) s |= 1 << b;
    return s;
  }

  /** Signed distances of `v` to every plane, into `out`. Rows of zeros are skipped: hashed text vectors are ~90% zeros. */
  private project(v: Float32Array, out: Float64Array) {
    const P = this.planeCount;
    const pl = this.planes;
    out.fill(0);
    const n = Math.min(this.dims, v.length);
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (x === 0) continue;
      const row = i * P;
      for (let p = 0; p < P; p++) out[p] += x * pl[row + p];
    }
    if (out !== this.offsets) for (let p = 0; p < P; p++) out[p] -= this.offsets[p];
  }
}

const popcount = (x: number) => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
};

const planeSets = new Map<string, Float32Array>();

/**
 * Gaussian hyperplanes from a fixed seed (mulberry32, Box–Muller), shared by every table set of the same
 * shape: a rebuild starts without drawing 100k random numbers. Stored dimension-major: row i holds every
 * plane's i-th coefficient.
 */
function planes(dims: number, count: number): Float32Array {
  const key = `${dims}×${count}`;
  let p = planeSets.get(key);
  if (!p) planeSets.set(key, (p = drawPlanes(dims, count)));
  return p;
}

function drawPlanes(dims: number, count: number): Float32Array {
  const rand = seededRandom(0x9e3779b9);
  const p = new Float32Array(dims * count);
  for (let i = 0; i < p.length; i++) p[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return p;
}

/**
 * A binary min-heap of probes on preallocated arrays, so probing allocates nothing. A probe is its
 * score and one packed integer: table, rank of its last flipped bit, bucket key.
 */
class ProbeHeap {
  private readonly scores: Float64Array;
  private readonly packed: Int32Array;
  size = 0;
  /** The probe `pop` returned last. */
  table = 0;
  last = 0;
  key = 0;

  constructor(capacity: number) {
    this.scores = new Float64Array(capacity);
    this.packed = new Int32Array(capacity);
  }

  clear() { this.size = 0; }

  push(score: number, table: number, last: number, key: number) {
    if (this.size === this.scores.length) return; // only reachable past WIDE × MAX_PROBES pops, which never happen
    const p = (table << 21) | (last << 16) | key;
    let i = this.size++;
    for (let up = (i - 1) >> 1; i > 0 && this.scores[up] > score; i = up, up = (i - 1) >> 1) {
      this.scores[i] = this.scores[up];
      this.packed[i] = this.packed[up];
    }
    this.scores[i] = score;
    this.packed[i] = p;
  }

  /** Removes the cheapest probe: returns its score, and leaves it in `table`, `last` and `key`. */
  pop(): number {
    const { scores, packed } = this;
    const score = scores[0];
    const p = packed[0];
    this.table = p >>> 21;
    this.last = (p >>> 16) & 31;
    this.key = p & 0xffff;
    const n = --this.size;
    const s = scores[n], q = packed[n];
    let i = 0;
    for (let c = 1; c < n; i = c, c = 2 * i + 1) {
      if (c + 1 < n && scores[c + 1] < scores[c]) c++;
      if (scores[c] >= s) break;
      scores[i] = scores[c];
      packed[i] = packed[c];
    }
    if (n > 0) { scores[i] = s; packed[i] = q; }
    return score;
  }
}
