import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { openStore } from "@ir/runtime-embedded";
import { API_KEY_ATTRIBUTE, makeEvent } from "@ir/core";
import { REPO, startServer } from "../support/embedded";
import { until } from "../support/until";

/** What the server's change watch promises: another connection's commit shows within WATCH_EVERY_MS (250 ms). */
const WITHIN_MS = 1000;

describe("ir commands while the server runs: their changes take effect within a second", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => { srv = await startServer(); });
  afterAll(() => srv.stop());
  /** The real CLI, as its own process, on the server's data dir; async, so the server (in this process) keeps serving. */
  const ir = (...args: string[]) => promisify(execFile)(process.execPath, [join(REPO, "packages/runtime-embedded/bin/ir.js"), ...args], { env: { ...process.env, IR_DATA_DIR: srv.dataDir, LOG_LEVEL: "silent" }, encoding: "utf8" });

  it("a key revoked with `ir keys revoke` is refused (401) on the report path", async () => {
    const t = await srv.client.tenant("revoked-co");
    const { body } = await t.client.req("GET", "/api/v1/keys");
    // Not its last key: that one cannot be revoked.
    expect((await t.client.req("POST", "/api/v1/keys", { label: "spare" })).status).toBe(201);
    // The key is cached by the server from here on.
    expect((await t.client.report("disk full on host 1", "db", {}, "")).status).toBe(202);

    await ir("keys", "revoke", body.keys[0].key_id, "--tenant", t.tenant_id);
    const revokedAt = Date.now();

    const refused = await until(async () => (await t.client.report("disk full on host 2", "db", {}, "")).status === 401, WITHIN_MS);
    expect(refused).toBe(true);
    expect(Date.now() - revokedAt).toBeLessThan(WITHIN_MS);
    expect((await t.client.req("GET", "/api/v1/usage")).status).toBe(401);
  });

  it("runbooks imported with `ir runbooks import` are recommended, not after the catalog's minute", async () => {
    const t = await srv.client.tenant("import-co", { global_runbooks: false, plan: "starter" });
    // Builds the tenant's runbook catalog, empty, and keeps it.
    expect((await t.client.report("consumer group payments is rebalancing repeatedly", "payments")).body.runbooks).toEqual([]);
    const books = join(srv.dataDir, "books");
    mkdirSync(books);
    writeFileSync(join(books, "kafka-rebalance.md"), "---\ntitle: Kafka rebalance storm\ntags: [kafka]\n---\n## Symptoms\nconsumer group rebalancing repeatedly\n## Resolution\nRaise session.timeout.ms.\n");

    await ir("runbooks", "import", books, "--tenant", t.tenant_id);
    const importedAt = Date.now();

    // Each try on a service of its own, so that it opens a new incident and is ranked afresh.
    let tries = 0;
    await until(async () => (await t.client.report("consumer group payments is rebalancing repeatedly", `payments-${"abcdefghijklmnopqrstuvwxyz"[tries++ % 26]}`)).body.runbooks?.[0]?.title === "Kafka rebalance storm", WITHIN_MS);
    expect(Date.now() - importedAt).toBeLessThan(WITHIN_MS);
  });

  it("a tenant changed by another connection is served as changed", async () => {
    const t = await srv.client.tenant("upgraded-co");
    expect((await t.client.req("GET", "/api/v1/usage")).body).toMatchObject({ plan: "free" });
    // The store as `ir` commands open it: a second connection to the same file.
    const other = openStore({ dataDir: srv.dataDir, LOG_LEVEL: "silent" });
    try {
      const tenant = (await other.ports.tenants.get(t.tenant_id))!;
      await other.writer.exclusive(() => other.ports.tenants.update({ ...tenant, plan: "professional" }));
    } finally {
      other.db.close();
    }
    const changedAt = Date.now();

    await until(async () => (await t.client.req("GET", "/api/v1/usage")).body.plan === "professional", WITHIN_MS);
    expect(Date.now() - changedAt).toBeLessThan(WITHIN_MS);
  });

  it("work another connection queued (`ir dlq replay`) starts within a second, not at the idle pump's next look", async () => {
    const t = await srv.client.tenant("replay-co");
    await srv.pump.idle();
    const other = openStore({ dataDir: srv.dataDir, LOG_LEVEL: "silent" });
    try {
      const at = new Date().toISOString();
      const raw = makeEvent("source.raw", t.tenant_id, "replay-test", { body: JSON.stringify({ error: "replayed disk full on host 3", service: "db" }), attributes: { [API_KEY_ATTRIBUTE]: t.api_key }, received_at: at }, at);
      await other.writer.write(() => other.writer.enqueue([raw]));
    } finally {
      other.db.close();
    }
    const queuedAt = Date.now();
    await until(async () => (await t.client.req("GET", "/api/v1/incidents")).body.incidents?.length === 1, WITHIN_MS);
    expect(Date.now() - queuedAt).toBeLessThan(WITHIN_MS);
  });
});
