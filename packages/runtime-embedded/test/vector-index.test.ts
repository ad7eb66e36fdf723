import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder } from "@ir/embed";
import { openDb } from "../src/db";
import { EXACT_SCAN_LIMIT, LocalVectorIndex } from "../src/vector-index";

const WORDS = "disk queue timeout payment worker shard replica cache socket token lease broker kernel driver volume pod node ingress route cert quota lock index page session".split(" ");
/** A deterministic "message" per i: six words picked by a small LCG. */
const message = (i: number, variant = 0) => {
  let x = i * 2654435761 + 1;
  const words = Array.from({ length: 6 }, () => WORDS[(x = (x * 1103515245 + 12345) >>> 0) % WORDS.length]);
  return `${words.join(" ")} failed on host ${i} id ${i * 7} attempt ${variant}`;
};

describe("local vector index", () => {
  const dir = mkdtempSync(join(tmpdir(), "ir-vec-"));
  const db = openDb(dir);
  const embedder = new HashEmbedder();
  afterAll(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });

  it.each([
    ["exact scan", 500],
    ["LSH candidates", EXACT_SCAN_LIMIT + 4000],
  ])("returns the exact nearest neighbour (%s, %i vectors)", async (_, n) => {
    const index = new LocalVectorIndex(db);
    const ns = `ns-${n}`;
    const texts = Array.from({ length: n }, (_, i) => message(i));
    const vectors = await embedder.embed(texts);
    await index.upsert(ns, vectors.map((vector, i) => ({ id: `inc-${i}`, vector, metadata: { type: "incident", service: "svc" } })));

    const probes = Array.from({ length: 100 }, (_, k) => Math.floor((k * n) / 100));
    let found = 0;
    for (const i of probes) {
      const [q] = await embedder.embed([`${message(i, 1)} retried`]);
      const [top] = await index.query(ns, q, { topK: 3, filter: { type: "incident", service: "svc" } });
      // Ground truth by brute force: several messages may share the words, so compare scores, not ids.
      let best = -1;
      for (const v of vectors) { let d = 0; for (let k = 0; k < v.length; k++) d += v[k] * q[k]; if (d > best) best = d; }
      if (top && top.score >= best - 1e-5) found++;
    }
    expect(found / probes.length).toBeGreaterThanOrEqual(0.97);
  });

  it("keeps other services and namespaces out of a query", async () => {
    const index = new LocalVectorIndex(db);
    const [v] = await embedder.embed(["disk full on /var"]);
    await index.upsert("a", [{ id: "x", vector: v, metadata: { type: "incident", service: "one" } }]);
    await index.upsert("b", [{ id: "y", vector: v, metadata: { type: "incident", service: "one" } }]);
    expect((await index.query("a", v, { topK: 5, filter: { service: "two" } }))).toEqual([]);
    expect((await index.query("a", v, { topK: 5, filter: { service: "one" } })).map((m) => m.id)).toEqual(["x"]);
  });
});
