import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RecentVectors, REPAIR_AFTER_MS } from "../src/adapters/recent-vectors";
import { useAwsEnvironment, DIMENSIONS } from "./support/environment";
import { fakeEmbedding } from "./support/openai-stand-in";

const aws = useAwsEnvironment();
beforeEach(() => { aws.env.pinecone.state.lagMs = 0; aws.env.pinecone.state.paused = false; });

const vec = (text: string) => fakeEmbedding(text, DIMENSIONS);
const meta = (id: string, service: string, status = "OPEN", tenant = "a") => ({ type: "incident", incident_id: id, tenant_id: tenant, service, status, s3_key: `tenant_${tenant}/incidents/${id}.json`, severity: "HIGH", created_at: "2024-02-12T10:30:00Z", last_seen: "2024-02-12T10:30:00Z", occurrences: 1 });

describe("VectorIndex on Pinecone", () => {
  it("upserts into the tenant namespace and queries by cosine with a service filter", async () => {
    await aws.ports.vectors.upsert("tenant_a", [
      { id: "inc_1", vector: vec("database connection pool exhausted"), metadata: meta("inc_1", "db") },
      { id: "inc_2", vector: vec("disk full on /var"), metadata: meta("inc_2", "db") },
      { id: "inc_3", vector: vec("database connection pool exhausted"), metadata: meta("inc_3", "api") },
    ]);
    const found = await aws.ports.vectors.query("tenant_a", vec("database connection pool is exhausted"), { topK: 5, filter: { type: "incident", service: "db" } });
    expect(found.map((m) => m.id)).toEqual(["inc_1", "inc_2"]);
    expect(found[0].score).toBeGreaterThan(0.8);
    expect(found[0].metadata.s3_key).toBe("tenant_a/incidents/inc_1.json");
    expect(aws.env.pinecone.visible("tenant_a").size).toBe(3);
    expect(await aws.ports.vectors.query("tenant_other", vec("database connection pool exhausted"), { topK: 5, filter: { service: "db" } })).toEqual([]);
  });

  it("reads its own writes while Pinecone has not applied them yet (upsert, update, delete)", async () => {
    aws.env.pinecone.state.paused = true;
    await aws.ports.vectors.upsert("tenant_b", [{ id: "inc_new", vector: vec("payment gateway timeout"), metadata: meta("inc_new", "pay") }]);
    expect(aws.env.pinecone.visible("tenant_b").size).toBe(0);
    const seen = await aws.ports.vectors.query("tenant_b", vec("payment gateway timeout"), { topK: 3, filter: { type: "incident", service: "pay" } });
    expect(seen.map((m) => [m.id, m.metadata.status])).toEqual([["inc_new", "OPEN"]]);
    expect(seen[0].score).toBeCloseTo(1, 5);

    await aws.ports.vectors.update("tenant_b", "inc_new", { status: "RESOLVED" });
    const resolved = await aws.ports.vectors.query("tenant_b", vec("payment gateway timeout"), { topK: 3, filter: { type: "incident", service: "pay" } });
    expect(resolved[0].metadata.status).toBe("RESOLVED");
    expect(await aws.ports.vectors.query("tenant_b", vec("payment gateway timeout"), { topK: 3, filter: { service: "pay", status: "OPEN" } })).toEqual([]);

    aws.env.pinecone.release();
    await aws.ports.vectors.upsert("tenant_b", [{ id: "inc_old", vector: vec("card declined spike"), metadata: meta("inc_old", "pay") }]);
    aws.env.pinecone.state.paused = true;
    await aws.ports.vectors.delete("tenant_b", ["inc_old"]);
    expect(aws.env.pinecone.visible("tenant_b").has("inc_old")).toBe(true);
    const afterDelete = await aws.ports.vectors.query("tenant_b", vec("card declined spike"), { topK: 5, filter: { service: "pay" } });
    expect(afterDelete.map((m) => m.id)).not.toContain("inc_old");
  });

  it("overlays a metadata update on a vector Pinecone already has, until Pinecone applies it", async () => {
    await aws.ports.vectors.upsert("tenant_c", [{ id: "inc_x", vector: vec("oom killed"), metadata: meta("inc_x", "worker") }]);
    aws.env.pinecone.state.paused = true;
    await aws.ports.vectors.update("tenant_c", "inc_x", { status: "RESOLVED", occurrences: 4 });
    expect(aws.env.pinecone.visible("tenant_c").get("inc_x")?.metadata.status).toBe("OPEN");
    const [m] = await aws.ports.vectors.query("tenant_c", vec("oom killed"), { topK: 1, filter: { service: "worker" } });
    expect(m.metadata).toMatchObject({ status: "RESOLVED", occurrences: 4, service: "worker" });
    aws.env.pinecone.release();
    expect(aws.env.pinecone.visible("tenant_c").get("inc_x")?.metadata.status).toBe("RESOLVED");
  });

  it("repairs Pinecone from the write-ahead entry when the writer died after DynamoDB", async () => {
    // The DynamoDB half of an upsert, and then nothing: the process died before calling Pinecone.
    const recent = new RecentVectors(aws.ports.table);
    const [entry] = await recent.write("tenant_d", [{ id: "inc_orphan", bucket: "svc", kind: "upsert", vector: vec("tls certificate expired"), metadata: meta("inc_orphan", "svc") }]);
    await aws.ports.table.update({ pk: "vec#tenant_d", sk: "svc#inc_orphan" }, "SET #at = :old", { names: { "#at": "at" }, values: { ":old": entry.at - REPAIR_AFTER_MS - 1 } });
    expect(aws.env.pinecone.visible("tenant_d").size).toBe(0);
    const found = await aws.ports.vectors.query("tenant_d", vec("tls certificate expired"), { topK: 1, filter: { service: "svc" } });
    expect(found[0].id).toBe("inc_orphan");
    expect(aws.env.pinecone.visible("tenant_d").has("inc_orphan")).toBe(true);
  });

  it("deletes a namespace in Pinecone and its recent writes", async () => {
    await aws.ports.vectors.upsert("tenant_e", [{ id: "inc_1", vector: vec("x"), metadata: meta("inc_1", "s") }]);
    await aws.ports.vectors.deleteNamespace("tenant_e");
    await aws.ports.vectors.deleteNamespace("tenant_never_written");
    expect(aws.env.pinecone.visible("tenant_e").size).toBe(0);
    expect(await aws.ports.table.queryAll("vec#tenant_e")).toEqual([]);
    expect(await aws.ports.vectors.query("tenant_e", vec("x"), { topK: 1, filter: { service: "s" } })).toEqual([]);
  });
});
