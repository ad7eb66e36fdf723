import type { UsageMeter } from "@ir/core";

/**
 * The usage meter's contract in memory: atomic adds per (tenant, period, counter), a step's token kept until
 * forgotten. `rows` is keyed `tenant/period`; tokens are kept apart from the counters, as the stores keep them.
 */
export function memoryUsage(beforeWrite: () => void = () => {}) {
  const rows = new Map<string, Record<string, number>>();
  const tokens = new Set<string>();
  const bump = (t: string, p: string, c: string, n: number) => {
    const r = rows.get(`${t}/${p}`) ?? {};
    r[c] = (r[c] ?? 0) + n;
    rows.set(`${t}/${p}`, r);
  };
  const usage: UsageMeter = {
    add: async (t, p, c, n) => { beforeWrite(); bump(t, p, c, n); },
    addAll: async (t, p, counts, once) => {
      beforeWrite();
      if (once !== undefined) {
        if (tokens.has(`${t}/${p}/${once}`)) return;
        tokens.add(`${t}/${p}/${once}`);
      }
      for (const [c, n] of Object.entries(counts)) bump(t, p, c, n);
    },
    forget: async (t, p, once) => { tokens.delete(`${t}/${p}/${once}`); },
    get: async (t, p) => ({ ...(rows.get(`${t}/${p}`) ?? {}) }),
  };
  return { usage, rows, tokens };
}
