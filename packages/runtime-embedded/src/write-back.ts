/**
 * Documents written many times in one transaction (an incident hit by a storm of duplicates, a notify
 * state) are kept here and written to SQLite once, just before COMMIT. Frames follow the transaction's
 * savepoints: a failed message drops its own frame and nothing else.
 */
export class WriteBack<V> {
  private frames: Array<Map<string, V>> = [];

  constructor(private readonly write: (key: string, value: V) => void) {}

  get active() { return this.frames.length > 0; }

  /** The pending value, newest frame first; undefined when the key has no pending write. */
  get(key: string): V | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const v = this.frames[i].get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** Every pending key with its newest value. */
  *entries(): Generator<[string, V]> {
    const seen = new Set<string>();
    for (let i = this.frames.length - 1; i >= 0; i--) {
      for (const [k, v] of this.frames[i]) if (!seen.has(k)) { seen.add(k); yield [k, v]; }
    }
  }

  set(key: string, value: V) { this.frames[this.frames.length - 1].set(key, value); }

  begin() { this.frames.push(new Map()); }
  release() {
    const top = this.frames.pop()!;
    const parent = this.frames[this.frames.length - 1];
    for (const [k, v] of top) parent.set(k, v);
  }
  rollback() { this.frames.pop(); }
  flush() {
    for (const [k, v] of this.frames[0] ?? []) this.write(k, v);
    this.frames = [];
  }
  reset() { this.frames = []; }
}
