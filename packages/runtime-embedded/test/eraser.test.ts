import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { DB_FILE } from "../src/db";
import { openStore } from "../src/start";

describe("tenant erase on the embedded store", () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it("empties the WAL, which holds the erased rows' old page images, once a reader in the way has gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ir-erase-"));
    dirs.push(dir);
    const s = openStore({ dataDir: dir, LOG_LEVEL: "silent" });
    await s.writer.exclusive(() => s.ports.kv.put("t_gone", "note", { text: "ERASE-ME-MARKER" }));
    const wal = () => statSync(join(dir, `${DB_FILE}-wal`)).size;

    // Another process reading (a CLI command, say): the WAL cannot be truncated under it.
    const reader = new Database(join(dir, DB_FILE));
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM kv").get();

    await s.writer.exclusive(() => s.ports.eraser.erase("t_gone"));
    expect(wal()).toBeGreaterThan(0);

    reader.exec("COMMIT");
    reader.close();
    await expect.poll(wal, { timeout: 5000, interval: 50 }).toBe(0);
    s.db.close();
  });
});
