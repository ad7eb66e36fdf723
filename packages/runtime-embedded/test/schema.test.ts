import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { DB_FILE, openDb } from "../src/db";

describe("schema", () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it("replaces a data dir's descending audit index, and lists the audit trail newest first without sorting", () => {
    const dir = mkdtempSync(join(tmpdir(), "ir-schema-"));
    dirs.push(dir);
    // A data dir written before the change: its audit index is descending.
    const old = new Database(join(dir, DB_FILE));
    old.exec("CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, doc TEXT NOT NULL); CREATE INDEX audit_tenant ON audit (tenant_id, seq DESC);");
    old.close();

    const db = openDb(dir);
    const indexes = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'audit'").all() as Array<{ name: string }>).map((r) => r.name);
    expect(indexes).toEqual(["audit_by_tenant"]);
    const plan = (db.prepare("EXPLAIN QUERY PLAN SELECT seq, doc FROM audit WHERE tenant_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?").all("t", 9, 10) as Array<{ detail: string }>)
      .map((r) => r.detail).join("; ");
    expect(plan).toContain("USING INDEX audit_by_tenant");
    expect(plan).not.toContain("TEMP B-TREE");
    db.close();
  });
});
