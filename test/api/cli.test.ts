import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, tempDir, startServer } from "../support/embedded";

describe("the ir CLI", () => {
  const dir = tempDir("cli");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ir = (...args: string[]) => execFileSync(process.execPath, [join(REPO, "packages/runtime-embedded/bin/ir.js"), ...args], { env: { ...process.env, IR_DATA_DIR: dir, LOG_LEVEL: "silent" }, encoding: "utf8" });

  it("creates a tenant and imports a directory of markdown runbooks that the server then recommends", async () => {
    const created = JSON.parse(ir("tenant", "create", "--name", "cli-co", "--plan", "starter"));
    expect(created).toMatchObject({ tenant_id: expect.stringMatching(/^t_/), api_key: expect.stringMatching(/^ir_live_/), plan: "starter" });
    const books = join(dir, "books");
    mkdirSync(books);
    writeFileSync(join(books, "kafka-rebalance.md"), "---\ntitle: Kafka rebalance storm\ntags: [kafka]\n---\n## Symptoms\nconsumer group rebalancing repeatedly\n## Resolution\nRaise session.timeout.ms.\n");
    expect(ir("runbooks", "import", books, "--tenant", created.tenant_id)).toContain("imported 1 runbooks");

    const srv = await startServer(dir);
    try {
      const api = srv.client.as(created.api_key);
      const r = await api.report("consumer group payments is rebalancing repeatedly", "payments");
      expect(r.body.runbooks[0].title).toBe("Kafka rebalance storm");
    } finally {
      await srv.close();
    }
    expect(ir("dlq", "list")).toContain("no dead letters");
  });
});
