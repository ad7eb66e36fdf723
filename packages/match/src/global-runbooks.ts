import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { GLOBAL_TENANT, type Ports, type Runbook } from "@ir/core";
import { invalidateCatalog } from "./catalog";
import { fileURLToPath } from "node:url";

export interface ParsedRunbook { slug: string; title: string; tags: string[]; content: string }

const GLOBAL_DIR = fileURLToPath(new URL("../runbooks", import.meta.url));

/** Front matter is the small `title:` / `tags: [a, b]` subset we write; anything else in it is ignored. */
export function parseRunbookMarkdown(text: string, slug: string): ParsedRunbook {
  const fm = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  const head = fm?.[1] ?? "";
  const body = fm ? text.slice(fm[0].length) : text;
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, "m").exec(head)?.[1]?.trim();
  const heading = /^#\s+(.+)$/m.exec(body)?.[1]?.trim();
  const title = field("title")?.replace(/^["']|["']$/g, "") ?? heading ?? slug.replace(/[-_]/g, " ");
  const tags = (field("tags") ?? "").replace(/^\[|\]$/g, "").split(",").map((t) => t.trim().replace(/^["']|["']$/g, "")).filter(Boolean);
  return { slug, title, tags, content: body.trim() };
}

export function loadRunbookDir(dir: string): ParsedRunbook[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => parseRunbookMarkdown(readFileSync(join(dir, f), "utf8"), basename(f, ".md")));
}

/** The runbooks every tenant gets unless created with `global_runbooks: false`. */
export const loadGlobalRunbooks = () => loadRunbookDir(GLOBAL_DIR);

/**
 * Puts the shipped global runbooks into the store under tenant `global`; edits to the markdown replace the
 * text, learning counts stay. The embedded runtime runs it at start; AWS at deploy time
 * (packages/runtime-aws/scripts/seed-global-runbooks.ts), since the markdown is not inside the Lambda bundles.
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
