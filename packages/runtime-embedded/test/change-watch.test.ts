import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { hashKey, Unauthorized, type Alarm } from "@ir/core";
import { newTenant, issueKey, revokeKey } from "@ir/api";
import { DB_FILE } from "../src/db";
import { openStore } from "../src/start";

const alarmOf = (tenantId: string): Alarm => ({
  alarm_id: "alm_late", tenant_id: tenantId, source: "http", error: "disk full on host 7", service: "db", severity: "HIGH", metadata: {},
  occurred_at: "2031-01-01T00:00:00.000Z", received_at: "2031-01-01T00:00:00.000Z",
});

describe("ChangeWatch: commits by another connection to the store", () => {
  const dirs: string[] = [];
  const closers: Array<() => void> = [];
  afterEach(() => {
    for (const c of closers.splice(0).reverse()) c();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const store = (dir?: string) => {
    dir ??= mkdtempSync(join(tmpdir(), "ir-watch-"));
    if (!dirs.includes(dir)) dirs.push(dir);
    const s = openStore({ dataDir: dir, LOG_LEVEL: "silent" });
    closers.push(() => s.db.close());
    return { dir, ...s };
  };
  /** A tenant made by `s`, with its key cached there as a request would leave it. */
  const tenantIn = async (s: ReturnType<typeof store>) => {
    const { tenant, key, apiKey } = newTenant(s.ports, { name: "acme", plan: "free", global_runbooks: false });
    await s.writer.exclusive(() => s.ports.tenants.create(tenant, key));
    const now = new Date().toISOString();
    expect(await s.ports.tenants.findKey(hashKey(apiKey), now)).not.toBeNull();
    expect(await s.ports.tenants.get(tenant.tenant_id)).not.toBeNull();
    return { tenant, key, apiKey };
  };

  // PASSIVE runs every second on the checkpointer thread; RESTART when the WAL passes 64 MB; TRUNCATE after a
  // quiet second with a large WAL. Only TRUNCATE rewrites the WAL header, which data_version follows.
  it.each([
    { mode: "PASSIVE", changes: false },
    { mode: "RESTART", changes: false },
    { mode: "TRUNCATE", changes: true },
  ])("a $mode checkpoint by the checkpointer's connection is seen as a change: $changes", async ({ mode, changes }) => {
    const s = store();
    await s.writer.exclusive(() => s.ports.kv.put("t_a", "note", { n: 1 }));
    const checkpointer = new Database(join(s.dir, DB_FILE));
    closers.push(() => checkpointer.close());
    s.watch.poll();

    const [r] = checkpointer.pragma(`wal_checkpoint(${mode})`) as Array<{ busy: number }>;

    expect(r.busy).toBe(0);
    expect(s.watch.poll()).toBe(changes);
  });

  it("sees a commit by another connection once, and never its own", async () => {
    const s = store();
    const other = store(s.dir);
    s.watch.poll();
    await s.writer.exclusive(() => s.ports.kv.put("t_a", "note", { n: 1 }));
    expect(s.watch.poll()).toBe(false);

    await other.writer.exclusive(() => other.ports.kv.put("t_a", "note", { n: 2 }));

    expect(s.watch.poll()).toBe(true);
    expect(s.watch.poll()).toBe(false);
  });

  it("drops a key revoked by another connection (the `ir keys revoke` path) from the cache", async () => {
    const server = store();
    const { tenant, key, apiKey } = await tenantIn(server);
    const cli = store(server.dir);
    // A tenant's last lasting key cannot be revoked: it gets a second one first.
    await server.writer.exclusive(() => issueKey(server.ports, tenant.tenant_id, "spare", "api"));
    await server.ports.tenants.findKey(hashKey(apiKey), new Date().toISOString()); // cached again, as a request leaves it
    server.watch.poll();

    await cli.writer.exclusive(() => revokeKey(cli.ports, tenant.tenant_id, key.key_id, "cli"));
    const later = new Date(Date.now() + 1).toISOString();

    // The cache is what kept the key working before the watch looked.
    expect(await server.ports.tenants.findKey(hashKey(apiKey), later)).not.toBeNull();
    expect(server.watch.poll()).toBe(true);
    expect(await server.ports.tenants.findKey(hashKey(apiKey), later)).toBeNull();
  });

  it("refuses, without writing it, an alarm of a tenant that another connection erased", async () => {
    const server = store();
    const { tenant } = await tenantIn(server);
    const other = store(server.dir);
    server.watch.poll();

    await other.writer.exclusive(() => other.ports.eraser.erase(tenant.tenant_id));
    server.watch.poll();

    await expect(server.ports.alarms.accept(alarmOf(tenant.tenant_id), "idem-1")).rejects.toBeInstanceOf(Unauthorized);
    for (const table of ["alarms", "idempotency", "queue"]) {
      expect(server.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).get(tenant.tenant_id)).toEqual({ n: 0 });
    }
  });
});
