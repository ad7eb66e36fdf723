import { grown } from "./typed-arrays";

/**
 * Every vector's non-zero components, packed end to end in two typed arrays (compressed sparse rows).
 * Scoring a candidate then reads a few hundred contiguous bytes instead of chasing a 2 KB Float32Array
 * somewhere in the heap, and skips the ~90% zeros of a hashed text vector: a decision scores thousands
 * of candidates, and memory stalls, not arithmetic, were most of their cost. Exact, like the floats it copies.
 */
export class PackedVectors {
  private start = new Int32Array(1024);
  private length = new Int32Array(1024);
  private index = new Uint16Array(16384);
  private value = new Float32Array(16384);
  private end = 0;
  private live = 0;
  /** Per dimension, the sum over the vectors held: their mean centres the LSH tables. */
  private sum = new Float64Array(0);

  set(slot: number, v: Float32Array) {
    if (v.length > 0x10000) throw new Error(`vectors of ${v.length} dimensions are more than the index packs`);
    let n = 0;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) n++;
    this.clear(slot);
    this.reserve(slot, n);
    let at = this.end;
    this.start[slot] = at;
    this.length[slot] = n;
    if (this.sum.length < v.length) this.sum = grown(this.sum, v.length);
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) { this.index[at] = i; this.value[at++] = v[i]; this.sum[i] += v[i]; }
    this.end = at;
    this.live += n;
  }

  clear(slot: number) {
    if (slot >= this.length.length) return;
    for (let j = this.start[slot], end = j + this.length[slot]; j < end; j++) this.sum[this.index[j]] -= this.value[j];
    this.live -= this.length[slot];
    this.length[slot] = 0;
  }

  unpack(slot: number, dims: number) { return this.unpackInto(slot, new Float32Array(dims)); }

  unpackInto(slot: number, v: Float32Array) {
    v.fill(0);
    for (let j = this.start[slot], end = j + this.length[slot]; j < end; j++) v[this.index[j]] = this.value[j];
    return v;
  }

  /** The mean of the `count` vectors held. */
  mean(dims: number, count: number) {
    const m = new Float32Array(dims);
    for (let i = 0; i < Math.min(dims, this.sum.length); i++) m[i] = this.sum[i] / count;
    return m;
  }

  /** Dot product with a dense query at least as long as every packed vector. */
  dot(slot: number, q: Float32Array) {
    const { index, value } = this;
    let s = 0;
    for (let j = this.start[slot], end = j + this.length[slot]; j < end; j++) s += value[j] * q[index[j]];
    return s;
  }

  /**
   * `out[slot]` = dot product with `q` for every slot below `slots` (0 for a cleared one): an exact scan in one
   * tight loop over the packed arrays, instead of a call, a lookup and a bound check per candidate.
   */
  dotAll(q: Float32Array, slots: number, out: Float32Array) {
    const { index, value, start, length } = this;
    const n = Math.min(slots, start.length);
    for (let slot = 0; slot < n; slot++) {
      let s = 0;
      for (let j = start[slot], end = j + length[slot]; j < end; j++) s += value[j] * q[index[j]];
      out[slot] = s;
    }
    out.fill(0, n, slots);
  }

  private reserve(slot: number, n: number) {
    if (slot >= this.start.length) {
      const cap = Math.max(this.start.length * 2, slot + 1);
      this.start = grown(this.start, cap);
      this.length = grown(this.length, cap);
    }
    if (this.end + n <= this.value.length) return;
    // Cleared rows leave holes; squeeze them out before growing, and grow so that compaction stays amortised.
    const cap = Math.max(16384, 2 * (this.live + n));
    const index = new Uint16Array(cap);
    const value = new Float32Array(cap);
    let at = 0;
    for (let s = 0; s < this.start.length; s++) {
      const len = this.length[s];
      if (!len) continue;
      const from = this.start[s];
      index.set(this.index.subarray(from, from + len), at);
      value.set(this.value.subarray(from, from + len), at);
      this.start[s] = at;
      at += len;
    }
    this.index = index;
    this.value = value;
    this.end = at;
  }
}
