import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./embedded-process";
import { formatTable, verdict } from "./table";

export const TARGET_COLD_IMPORT_MS = 150;

/**
 * Each Lambda bundle built by the runtime's own script (packages/runtime-aws/scripts/bundle.ts), which
 * prints size and cold import time (median of three fresh `node` processes importing index.mjs), and the
 * same import followed by the chunks the handler's first invocation loads, so lazy loading hides nothing.
 */
export function bundlesSection(): { text: string; worstMs: number } {
  const out = execFileSync(process.execPath, ["--import", "tsx", join(REPO, "packages/runtime-aws/scripts/bundle.ts")], { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 300_000 });
  const [header, ...rows] = out.trim().split("\n").map((l) => l.trim().split(/\s{2,}/));
  const coldAt = header.indexOf("cold import");
  const ms = rows.map((r) => Number.parseFloat(r[coldAt]));
  const worstMs = Math.max(...ms);
  const firstAt = header.indexOf("first call");
  const worstFirstCallMs = Math.max(...rows.map((r) => Number.parseFloat(r[firstAt])));
  return {
    worstMs,
    text: formatTable("AWS Lambda bundles (esbuild, ESM, minified; cold import = fresh node importing index.mjs, median of 3)", header, rows,
      [`target: cold import ≤ ${TARGET_COLD_IMPORT_MS} ms for every handler (worst ${worstMs} ms) — ${verdict(worstMs <= TARGET_COLD_IMPORT_MS)}`,
        `at import = index.mjs and the chunks it imports statically; first call = cold import plus the chunks the first invocation loads (worst ${worstFirstCallMs} ms)`]),
  };
}
