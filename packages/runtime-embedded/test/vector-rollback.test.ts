import { describe, expect, it } from "vitest";
import { HashEmbedder } from "@ir/embed";
import type { LocalVectorIndex } from "../src/vector-index";
import { useTempStores } from "./temp-store";

const embedder = new HashEmbedder();
const vec = async (text: string) => (await embedder.embed([text]))[0];
const meta = (id: string) => ({ type: "incident", incident_id: id, service: "svc", status: "OPEN" });

describe("the vector index after a rollback", () => {
  const store = useTempStores("vrb");

  it("forgets what the rolled-back transaction wrote, and keeps other namespaces loaded", async () => {
    const { db, writer, ports } = store();
    const vectors = ports.vectors as LocalVectorIndex;
    const loaded = (vectors as unknown as { spaces: Map<string, unknown> }).spaces;
    const query = async (ns: string, text: string) => (await vectors.query(ns, await vec(text), { topK: 5, filter: { type: "incident", service: "svc" } })).map((m) => m.id);

    await writer.exclusive(async () => {
      await vectors.upsert("tenant_a", [{ id: "inc_a", vector: await vec("disk full on db-1"), metadata: meta("inc_a") }]);
      await vectors.upsert("tenant_b", [{ id: "inc_b", vector: await vec("queue depth high"), metadata: meta("inc_b") }]);
    });
    const a = loaded.get("tenant_a");

    // Tenant B's message fails after writing a vector: its transaction rolls back.
    const failed = writer.exclusive(async () => {
      await vectors.upsert("tenant_b", [{ id: "inc_b2", vector: await vec("queue depth high again"), metadata: meta("inc_b2") }]);
      throw new Error("stage failed");
    });
    await expect(failed).rejects.toThrow("stage failed");

    // A stays as it was in memory (a reload of a large namespace stalls everything); B holds only what committed.
    expect(loaded.get("tenant_a")).toBe(a);
    expect(await query("tenant_b", "queue depth high again")).toEqual(["inc_b"]);
    expect(await query("tenant_a", "disk full on db-1")).toEqual(["inc_a"]);
    db.close();
  });
});
