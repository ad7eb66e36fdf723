import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { newTenant } from "@ir/api";
import { openStore } from "../src/start";

describe("tenant store on SQLite", () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it("refuses a settings write for a tenant erased since it was read: the write would link its AWS account again", async () => {
    // prepare
    const dir = mkdtempSync(join(tmpdir(), "ir-tenants-"));
    dirs.push(dir);
    const s = openStore({ dataDir: dir, LOG_LEVEL: "silent" });
    const { tenant, key } = newTenant(s.ports, { name: "gone", plan: "enterprise" });
    await s.writer.exclusive(() => s.ports.tenants.create(tenant, key));
    const read = (await s.ports.tenants.get(tenant.tenant_id))!;
    await s.writer.exclusive(() => s.ports.eraser.erase(tenant.tenant_id));
    // act
    const write = s.writer.exclusive(() => s.ports.tenants.update({ ...read, settings: { ...read.settings, aws_account_ids: ["410987654321"] } }));
    // assess
    await expect(write).rejects.toMatchObject({ status: 401 });
    expect(await s.ports.tenants.get(tenant.tenant_id)).toBeNull();
    expect(await s.ports.tenants.findByAwsAccount("410987654321")).toBeNull();
    expect(await s.ports.tenants.pendingAwsAccountClaims("410987654321")).toEqual([]);
    s.db.close();
  });
});
