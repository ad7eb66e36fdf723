import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { openStore } from "../src/start";

/** Stores opened on fresh temporary data dirs, removed after each test. */
export function useTempStores(name: string) {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `ir-${name}-`));
    dirs.push(dir);
    return { dir, ...openStore({ dataDir: dir, LOG_LEVEL: "silent" }) };
  };
}
