import { GLOBAL_TENANT, type Ports, type Runbook } from "@ir/core";
import { invalidateCatalog, loadGlobalRunbooks } from "@ir/match";

/**
 * Puts the shipped global runbooks (packages/match/runbooks/*.md) into S3 under tenant `global`; edits to
 * the markdown replace the text, learning counts stay. Run at deploy time (`scripts/seed-global-runbooks.ts`)
 * since the markdown is read from disk and is not inside the Lambda bundles. Same rules as the embedded seed.
 */
export async function seedGlobalRunbooks(ports: Ports): Promise<number> {
  const now = ports.clock.now().toISOString();
  let changed = 0;
  for (const rb of loadGlobalRunbooks()) {
    const runbook_id = `rb_global_${rb.slug}`;
    const cur = await ports.runbooks.get(GLOBAL_TENANT, runbook_id);
    if (cur && cur.title === rb.title && cur.content === rb.content && cur.tags.join() === rb.tags.join()) continue;
    const next: Runbook = {
      runbook_id, tenant_id: GLOBAL_TENANT, title: rb.title, content: rb.content, tags: rb.tags,
      created_at: cur?.created_at ?? now, updated_at: now, success_count: cur?.success_count ?? 0, failure_count: cur?.failure_count ?? 0, created_by: "incident-responder",
    };
    await ports.runbooks.put(next);
    changed++;
  }
  if (changed) invalidateCatalog();
  return changed;
}
