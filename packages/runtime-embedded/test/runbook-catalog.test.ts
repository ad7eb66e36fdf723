import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Embedder, Runbook, Tenant } from "@ir/core";
import { invalidateCatalog, runbookCatalog } from "@ir/match";
import { openStore } from "../src/start";

const TENANT = "t_catalog";
const runbook = (id: string, content: string): Runbook => ({
  runbook_id: id, tenant_id: TENANT, title: `Runbook ${id}`, content, tags: ["db"], success_count: 0,
  created_at: "2031-01-01T00:00:00.000Z", updated_at: "2031-01-01T00:00:00.000Z",
} as Runbook);

describe("runbook catalog rebuilds", () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it("embed only the runbooks whose text changed since the last build", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ir-catalog-"));
    dirs.push(dir);
    const { db, ports } = openStore({ dataDir: dir, logDestination: { write() {} } as never });
    const embedded: string[] = [];
    const real = ports.embedder;
    const counting: Embedder = { ...real, thresholds: real.thresholds, embed: (texts) => { embedded.push(...texts); return real.embed(texts); } };
    const withCounting = { ...ports, embedder: counting };
    const tenant = { tenant_id: TENANT, settings: { global_runbooks: false } } as Tenant;
    for (const id of ["a", "b", "c"]) await ports.runbooks.put(runbook(id, `steps for ${id}: restart the pool`));

    const first = await runbookCatalog(withCounting, tenant);
    expect(embedded).toHaveLength(3);

    await ports.runbooks.put(runbook("b", "steps for b: resize the pool instead"));
    invalidateCatalog(TENANT);
    const second = await runbookCatalog(withCounting, tenant);
    expect(embedded).toHaveLength(4);
    expect(embedded[3]).toContain("resize the pool instead");
    // The unchanged runbooks rank exactly as before; the changed one with its new text. The count above shows
    // that the vectors were reused; this, that each went back to its own runbook.
    const query = "restart the pool";
    const vector = (await real.embed([query]))[0];
    const similarity = (catalog: typeof first, id: string) => {
      const hit = catalog.index.search(query, vector, 3).find((r) => r.runbook_id === id);
      expect(hit, `runbook ${id} among the hits`).toBeDefined();
      return hit!.similarity;
    };
    expect(similarity(first, "a")).toBeGreaterThan(0);
    expect(similarity(second, "a")).toBe(similarity(first, "a"));
    expect(similarity(second, "b")).not.toBe(similarity(first, "b"));
    db.close();
  });
});
