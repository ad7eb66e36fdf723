import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
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
