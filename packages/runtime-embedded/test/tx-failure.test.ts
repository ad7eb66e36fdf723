import { describe, expect, it } from "vitest";
import type { Alarm } from "@ir/core";
import { useTempStores } from "./temp-store";

const TENANT = "t_txfail";
const alarm: Alarm = {
  alarm_id: "alm_after_full", tenant_id: TENANT, source: "http", error: "disk full on host 1", service: "db", severity: "HIGH", metadata: {},
  occurred_at: "2031-01-01T00:00:00.000Z", received_at: "2031-01-01T00:00:00.000Z",
};

describe("a transaction SQLite rolled back by itself", () => {
  const store = useTempStores("txfail");

  it("fails with its own error, and leaves nothing behind for the next transaction", async () => {
    const { db, writer, ports } = store();
    const pages = db.pragma("page_count", { simple: true }) as number;
    const limit = db.pragma("max_page_count", { simple: true }) as number;

    // SQLITE_FULL rolls back the whole transaction, not just the statement.
    db.pragma(`max_page_count = ${pages + 2}`);
    const full = writer.exclusive(() => {
      db.prepare("INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?)").run(TENANT, "big", "x".repeat(1024 * 1024));
    });
    await expect(full).rejects.toMatchObject({ code: "SQLITE_FULL" });
    expect(db.inTransaction).toBe(false);

    db.pragma(`max_page_count = ${limit}`);
    const accepted = await ports.alarms.accept(alarm, undefined);
    expect(accepted.alarm_id).toBe(alarm.alarm_id);
    expect(await ports.alarms.get(TENANT, alarm.alarm_id)).toEqual({ alarm_id: alarm.alarm_id, status: "queued" });
    db.close();
  });

  it("when one write of a group commit loses the transaction, it fails alone: the others commit in transactions of their own, never in autocommit", async () => {
    const { db, writer } = store();
    const put = (key: string, size: number) => () => db.prepare("INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?)").run(TENANT, key, "x".repeat(size));
    db.pragma(`max_page_count = ${(db.pragma("page_count", { simple: true }) as number) + 2}`);

    // One tick: one transaction, each write in a savepoint of its own.
    const results = await Promise.allSettled([writer.write(put("big", 1024 * 1024)), writer.write(put("small", 10))]);

    expect(results.map((r) => r.status === "rejected" && (r.reason as { code?: string }).code)).toEqual(["SQLITE_FULL", false]);
    expect(db.prepare("SELECT key FROM kv WHERE tenant_id = ?").all(TENANT)).toEqual([{ key: "small" }]);
    expect(db.inTransaction).toBe(false);
    db.close();
  });
});
