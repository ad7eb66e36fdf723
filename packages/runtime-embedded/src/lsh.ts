/**
 * Candidate generation for large buckets of the local vector index: random-hyperplane LSH, several tables,
 * probing each signature and its one-bit neighbours. Near-duplicates (cosine ≥ 0.9) land in a probed
 * bucket of at least one table with high probability (≈ 0.99 with 6 tables of 10 bits); the exact cosine
 * is then computed on the candidates only, so a query costs a few thousand dot products, not one per vector.
 */
const TABLES = 6;
const BITS = 10;

/** Deterministic hyperplanes (mulberry32), so a rebuilt index probes the same buckets. */
function planes(dims: number): Float32Array {
  let a = 0x9e3779b9;
  const rand = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const p = new Float32Array(TABLES * BITS * dims);
  for (let i = 0; i < p.length; i++) p[i] = rand();
  return p;
}

export class LshTables {
  private readonly planes: Float32Array;
  private readonly tables = Array.from({ length: TABLES }, () => new Map<number, Set<string>>());
  private readonly signatures = new Map<string, number[]>();

  constructor(private readonly dims: number) {
    this.planes = planes(dims);
  }

  get size() { return this.signatures.size; }

  add(id: string, v: Float32Array) {
    this.remove(id);
    const sig = this.signature(v);
    this.signatures.set(id, sig);
    sig.forEach((s, t) => { let b = this.tables[t].get(s); if (!b) this.tables[t].set(s, (b = new Set())); b.add(id); });
  }

  remove(id: string) {
    const sig = this.signatures.get(id);
    if (!sig) return;
    sig.forEach((s, t) => this.tables[t].get(s)?.delete(id));
    this.signatures.delete(id);
  }

  candidates(v: Float32Array): Set<string> {
    const out = new Set<string>();
    this.signature(v).forEach((s, t) => {
      for (let flip = -1; flip < BITS; flip++) {
        const b = this.tables[t].get(flip < 0 ? s : s ^ (1 << flip));
        if (b) for (const id of b) out.add(id);
      }
    });
    return out;
  }

  private signature(v: Float32Array): number[] {
    const sig: number[] = [];
    const n = Math.min(this.dims, v.length);
    for (let t = 0; t < TABLES; t++) {
      let s = 0;
      for (let b = 0; b < BITS; b++) {
        const off = (t * BITS + b) * this.dims;
        let d = 0;
        for (let i = 0; i < n; i++) d += v[i] * this.planes[off + i];
        if (d > 0) s |= 1 << b;
      }
      sig.push(s);
    }
    return sig;
  }
}
