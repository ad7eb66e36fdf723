import { createHash } from "node:crypto";
import { GLOBAL_TENANT, setRecent, type Embedder, type Ports, type Runbook, type Tenant } from "@ir/core";
import { RunbookIndex } from "./rank-runbooks";
import { loadStats } from "./learning";

interface Catalog { index: RunbookIndex; byId: Map<string, Runbook>; loadedAt: number }

/** Built per tenant and reused: runbooks change rarely, alarms arrive constantly. */
const cache = new Map<string, Catalog>();
/** On AWS other containers change runbooks too; a short TTL bounds how stale a warm container can be. */
const TTL_MS = 60_000;

/**
 * Runbook vectors by text, per embedder (by id: the AWS runtime wraps its embedder per tenant), kept across
 * rebuilds: each TTL every warm process rebuilds its catalogs, and only runbooks whose text changed need
 * embedding again. Offline, embedding the 55 global runbooks held the event loop for 15-50 ms once a minute.
 */
const vectorsOf = new Map<string, Map<string, Float32Array>>();
const VECTORS_KEPT = 10_000;

async function embedRunbooks(embedder: Embedder, texts: string[]): Promise<Float32Array[]> {
  let known = vectorsOf.get(embedder.id);
  if (!known) vectorsOf.set(embedder.id, (known = new Map()));
  const keys = texts.map((t) => createHash("sha256").update(t).digest("base64"));
  const missing = texts.flatMap((_, i) => (known.has(keys[i]) ? [] : [i]));
  const fresh = missing.length ? await embedder.embed(missing.map((i) => texts[i])) : [];
  missing.forEach((i, j) => known.set(keys[i], fresh[j]));
  const out = keys.map((k) => known.get(k)!);
  keys.forEach((k, i) => setRecent(known, k, out[i], VECTORS_KEPT));
  return out;
}

export const invalidateCatalog = (tenantId?: string) => (tenantId ? cache.delete(tenantId) : cache.clear());

async function allRunbooks(ports: Ports, tenantId: string): Promise<Runbook[]> {
  const out: Runbook[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.runbooks.list(tenantId, { limit: 500, cursor });
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

const outcomesOf = (o: { success: number; failure: number }) => ({ success_count: o.success, failure_count: o.failure });

/** A runbook the tenant may read: its own, or a global one if it uses them (the catalog's rule, for one id). */
export async function readableRunbook(ports: Ports, tenant: Tenant, runbookId: string): Promise<Runbook | null> {
  return (await ports.runbooks.get(tenant.tenant_id, runbookId)) ?? (tenant.settings.global_runbooks ? await ports.runbooks.get(GLOBAL_TENANT, runbookId) : null);
}

export const runbookText = (r: Pick<Runbook, "title" | "content" | "tags">) => `${r.title}\n${r.tags.join(" ")}\n${r.content}`;

export async function runbookCatalog(ports: Ports, tenant: Tenant): Promise<Catalog> {
  const hit = cache.get(tenant.tenant_id);
  if (hit && ports.clock.now().getTime() - hit.loadedAt < TTL_MS) return hit;
  const own = await allRunbooks(ports, tenant.tenant_id);
  const global = tenant.settings.global_runbooks ? await allRunbooks(ports, GLOBAL_TENANT) : [];
  const runbooks = [...own, ...global];
  const stats = await loadStats(ports, tenant.tenant_id);
  const vectors = runbooks.length ? await embedRunbooks(ports.embedder, runbooks.map(runbookText)) : [];
  const index = new RunbookIndex(runbooks.map((r, i) => ({
    runbook_id: r.runbook_id, title: r.title, content: r.content, tags: r.tags, vector: vectors[i],
    // A tenant's own runbook beats a generic global one on a tie: it was written for this system.
    scope: r.tenant_id === tenant.tenant_id ? ("tenant" as const) : ("global" as const),
    ...outcomesOf(stats.outcomes(r)),
  })));
  const catalog = { index, byId: new Map(runbooks.map((r) => [r.runbook_id, r])), loadedAt: ports.clock.now().getTime() };
  cache.set(tenant.tenant_id, catalog);
  return catalog;
}
