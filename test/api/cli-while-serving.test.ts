import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { openStore } from "@ir/runtime-embedded";
import { API_KEY_ATTRIBUTE, makeEvent } from "@ir/core";
import { REPO, startServer } from "../support/embedded";
import { until } from "../support/until";

/**
 * The change watch looks every 250 ms; this only ends a wait that has failed, loose for a loaded runner. Each
 * test rules out the other ways its change could show (a cache expiring, the pump's idle poll), so that a pass
 * can only come from the watch, however long the wait.
 */
const WAIT_MS = 10_000;
/** The runbook catalog's TTL (@ir/match catalog.ts): an older catalog is rebuilt, watch or not. */
const CATALOG_TTL_MS = 60_000;

describe("ir commands while the server runs: their changes take effect at the change watch's next look", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  // An idle pump that looks for work only once an hour: work another process queued can start sooner only through the watch.
  beforeAll(async () => { srv = await startServer(undefined, { idlePollMs: 3_600_000 }); });
  afterAll(() => srv.stop());
  /** The real CLI, as its own process, on the server's data dir; async, so the server (in this process) keeps serving. */
  const ir = (...args: string[]) => promisify(execFile)(process.execPath, [join(REPO, "packages/runtime-embedded/bin/ir.js"), ...args], { env: { ...process.env, IR_DATA_DIR: srv.dataDir, LOG_LEVEL: "silent" }, encoding: "utf8" });

  it("a key revoked with `ir keys revoke` is refused (401) on the report path", async () => {
    const t = await srv.client.tenant("revoked-co");
    const { body } = await t.client.req("GET", "/api/v1/keys");
    // Not its last key: that one cannot be revoked.
    expect((await t.client.req("POST", "/api/v1/keys", { label: "spare" })).status).toBe(201);
    // The key is cached by the server from here on, with no expiry: only the watch can drop it.
    expect((await t.client.report("disk full on host 1", "db", {}, "")).status).toBe(202);

    await ir("keys", "revoke", body.keys[0].key_id, "--tenant", t.tenant_id);

    const refused = await until(async () => (await t.client.report("disk full on host 2", "db", {}, "")).status === 401, WAIT_MS);
    expect(refused).toBe(true);
    expect((await t.client.req("GET", "/api/v1/usage")).status).toBe(401);
  });

  it("runbooks imported with `ir runbooks import` are recommended, not after the catalog's minute", async () => {
    // The tenant's catalog is built after this, so it cannot expire before this + CATALOG_TTL_MS.
    const before = Date.now();
    const t = await srv.client.tenant("import-co", { global_runbooks: false, plan: "starter" });
    // Builds the tenant's runbook catalog, empty, and keeps it.
    expect((await t.client.report("consumer group payments is rebalancing repeatedly", "payments")).body.runbooks).toEqual([]);
    const books = join(srv.dataDir, "books");
    mkdirSync(books);
    writeFileSync(join(books, "kafka-rebalance.md"), "---\ntitle: Kafka rebalance storm\ntags: [kafka]\n---\n## Symptoms\nconsumer group rebalancing repeatedly\n## Resolution\nRaise session.timeout.ms.\n");

    await ir("runbooks", "import", books, "--tenant", t.tenant_id);

    // Each try on a service of its own, so that it opens a new incident and is ranked afresh.
    let tries = 0;
    await until(async () => (await t.client.report("consumer group payments is rebalancing repeatedly", `payments-${tries++}`)).body.runbooks?.[0]?.title === "Kafka rebalance storm", WAIT_MS);
    expect(Date.now() - before).toBeLessThan(CATALOG_TTL_MS);
  });

  it("a tenant changed by another connection is served as changed", async () => {
    // Tenants are cached with no expiry: only the watch can drop this one.
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

    await until(async () => (await t.client.req("GET", "/api/v1/usage")).body.plan === "professional", WAIT_MS);
  });

  it("work another connection queued (`ir dlq replay`) starts at the watch's next look, not at the idle pump's", async () => {
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
    await until(async () => (await t.client.req("GET", "/api/v1/incidents")).body.incidents?.length === 1, WAIT_MS);
  });
});
