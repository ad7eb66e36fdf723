import { jsonServer } from "./emulators";

type Meta = Record<string, unknown>;
interface Vec { id: string; values: number[]; metadata: Meta }

const cosine = (a: number[], b: number[]) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return na && nb ? d / Math.sqrt(na * nb) : 0;
};

const matches = (m: Meta, filter: any): boolean => {
  if (!filter) return true;
  return Object.entries(filter).every(([k, cond]) => {
    if (k === "$and") return (cond as any[]).every((c) => matches(m, c));
    if (k === "$or") return (cond as any[]).some((c) => matches(m, c));
    if (cond && typeof cond === "object" && !Array.isArray(cond)) {
      const c = cond as Record<string, unknown>;
      if ("$eq" in c) return m[k] === c.$eq;
      if ("$ne" in c) return m[k] !== c.$ne;
      if ("$in" in c) return (c.$in as unknown[]).includes(m[k]);
      return false;
    }
    return m[k] === cond;
  });
};

/**
 * Pinecone's REST API, the parts the adapter uses: control plane `GET /indexes/{name}` and the data plane
 * (`/vectors/upsert`, `/query` with metadata filters, `/vectors/update`, `/vectors/delete` incl. deleteAll,
 * `DELETE /namespaces/{ns}`, `/describe_index_stats`). `lagMs` makes writes visible only after a delay,
 * the eventual consistency the adapter must survive; `paused` holds them back until released.
 */
export async function startPineconeStandIn(opts: { dimension: number }) {
  const spaces = new Map<string, Map<string, Vec>>();
  const pending: Array<{ at: number; apply: () => void }> = [];
  const requests: Array<{ method: string; path: string; body: any }> = [];
  const state = { lagMs: 0, paused: false, failNext: 0 };

  const space = (ns: string) => { let s = spaces.get(ns); if (!s) spaces.set(ns, (s = new Map())); return s; };
  const later = (apply: () => void) => { pending.push({ at: Date.now() + state.lagMs, apply }); settle(); };
  const settle = () => {
    if (state.paused) return;
    const now = Date.now();
    for (let i = 0; i < pending.length;) {
      if (pending[i].at <= now) pending.splice(i, 1)[0].apply(); else i++;
    }
  };

  const server = await jsonServer((method, path, body) => {
    requests.push({ method, path, body });
    settle();
    if (state.failNext > 0) { state.failNext--; return [503, { code: 14, message: "unavailable" }]; }
    if (method === "GET" && path.startsWith("/indexes/")) {
      const name = decodeURIComponent(path.slice("/indexes/".length));
      return [200, { name, dimension: opts.dimension, metric: "cosine", host: server.url.replace(/^http:\/\//, ""), vector_type: "dense", deletion_protection: "disabled", spec: { serverless: { cloud: "aws", region: "us-east-1" } }, status: { ready: true, state: "Ready" } }];
    }
    if (method === "POST" && path === "/vectors/upsert") {
      const ns = body.namespace ?? "";
      for (const v of body.vectors) if (v.values.length !== opts.dimension) return [400, { code: 3, message: `Vector dimension ${v.values.length} does not match the dimension of the index ${opts.dimension}` }];
      const vectors = body.vectors.map((v: any) => ({ id: v.id, values: v.values, metadata: v.metadata ?? {} }));
      later(() => { for (const v of vectors) space(ns).set(v.id, v); });
      return [200, { upsertedCount: vectors.length }];
    }
    if (method === "POST" && path === "/query") {
      const ns = body.namespace ?? "";
      const found = [...space(ns).values()].filter((v) => matches(v.metadata, body.filter))
        .map((v) => ({ id: v.id, score: cosine(body.vector, v.values), ...(body.includeMetadata ? { metadata: v.metadata } : {}), ...(body.includeValues ? { values: v.values } : {}) }))
        .sort((a, b) => b.score - a.score).slice(0, body.topK);
      return [200, { matches: found, namespace: ns, usage: { readUnits: 1 } }];
    }
    if (method === "POST" && path === "/vectors/update") {
      const ns = body.namespace ?? "";
      later(() => { const v = space(ns).get(body.id); if (v) { if (body.setMetadata) v.metadata = { ...v.metadata, ...body.setMetadata }; if (body.values) v.values = body.values; } });
      return [200, {}];
    }
    if (method === "POST" && path === "/vectors/delete") {
      const ns = body.namespace ?? "";
      later(() => {
        if (body.deleteAll) spaces.delete(ns);
        else if (body.ids) for (const id of body.ids) space(ns).delete(id);
        else if (body.filter) for (const [id, v] of space(ns)) if (matches(v.metadata, body.filter)) space(ns).delete(id);
      });
      return [200, {}];
    }
    if (method === "DELETE" && path.startsWith("/namespaces/")) {
      const ns = decodeURIComponent(path.slice("/namespaces/".length));
      if (!spaces.has(ns)) return [404, { code: 5, message: `Namespace ${ns} not found` }];
      later(() => spaces.delete(ns));
      return [200, {}];
    }
    if (method === "POST" && path === "/describe_index_stats") {
      return [200, { namespaces: Object.fromEntries([...spaces].map(([ns, s]) => [ns, { vectorCount: s.size }])), dimension: opts.dimension, totalVectorCount: [...spaces.values()].reduce((n, s) => n + s.size, 0) }];
    }
    return [404, { message: `no route ${method} ${path}` }];
  });

  return {
    url: server.url,
    requests,
    state,
    /** What a query would see now (applied writes only). */
    visible: (ns: string) => { settle(); return spaces.get(ns) ?? new Map<string, Vec>(); },
    release: () => { state.paused = false; for (const p of pending) p.at = 0; settle(); },
    close: server.close,
  };
}
