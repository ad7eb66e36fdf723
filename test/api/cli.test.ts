import { afterAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
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

  /** Exit code, stdout and stderr of one command, in `cwd` (with the data dir the environment names, unless `dataDir` is null). */
  const run = (args: string[], opts: { cwd?: string; dataDir?: string | null } = {}) => {
    const env = { ...process.env, LOG_LEVEL: "silent", IR_DATA_DIR: opts.dataDir === null ? "" : (opts.dataDir ?? dir) };
    const r = spawnSync(process.execPath, [join(REPO, "packages/runtime-embedded/bin/ir.js"), ...args], { env, cwd: opts.cwd, encoding: "utf8" });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  /** The tenant's runbooks as stored, read from the file the CLI wrote to. */
  const runbooksOf = (tenantId: string) => {
    const db = new Database(join(dir, "ir.db"), { readonly: true });
    try { return (db.prepare("SELECT COUNT(*) AS n FROM runbooks WHERE tenant_id = ?").get(tenantId) as { n: number }).n; } finally { db.close(); }
  };

  it("refuses what the API refuses, with a message and a failing exit code", () => {
    const { tenant_id } = JSON.parse(ir("tenant", "create", "--name", "strict-co"));
    const [key] = JSON.parse(ir("keys", "list", "--tenant", tenant_id)).keys;
    // An empty --overlap (an unset shell variable) would have ended the old key at once.
    expect(run(["keys", "rotate", key.key_id, "--tenant", tenant_id, "--overlap", ""])).toMatchObject({ code: 1, err: expect.stringContaining("--overlap: expected a whole number") });
    expect(run(["keys", "rotate", key.key_id, "--tenant", tenant_id, "--overlap", "0x10"]).code).toBe(1);
    expect(run(["keys", "create", "--tenant", tenant_id, "--label", "x".repeat(500)])).toMatchObject({ code: 1, err: expect.stringContaining("--label") });
    expect(run(["dlq", "replay", "dl_nope"])).toMatchObject({ code: 1, err: expect.stringContaining("no dead letter dl_nope") });
    expect(run(["tenant", "create", "--name", "fast-co", "--ingest-per-second", "50000"])).toMatchObject({ code: 1, err: expect.stringContaining("only the enterprise plan has a custom ingest rate") });
    expect(run(["tenant", "create", "--name", "fast-co", "--plan", "enterprise", "--ingest-per-second", "50000"]).code).toBe(0);

    const books = join(dir, "bad-books");
    mkdirSync(books);
    // A good file sorted ahead of the bad one: refusing only on reaching it would have imported this one.
    writeFileSync(join(books, "a-fine.md"), "# Fine\n## Resolution\nstep\n");
    writeFileSync(join(books, "empty.md"), "---\ntitle: Empty\n---\n");
    expect(run(["runbooks", "import", books, "--tenant", tenant_id])).toMatchObject({ code: 1, err: expect.stringContaining("empty.md: content") });
    expect(runbooksOf(tenant_id)).toBe(0);
    rmSync(join(books, "a-fine.md"));
    rmSync(join(books, "empty.md"));
    for (let i = 0; i < 6; i++) writeFileSync(join(books, `rb-${i}.md`), `# Runbook ${i}\n## Resolution\nstep ${i}\n`);
    // The free plan allows 5: nothing is imported, not the first 5 of them either.
    expect(run(["runbooks", "import", books, "--tenant", tenant_id])).toMatchObject({ code: 1, err: expect.stringContaining("plan free allows 5 custom runbooks") });
    expect(runbooksOf(tenant_id)).toBe(0);
  });

  it("lists dead letters one per line, with a receiver's escape sequences made harmless", () => {
    const db = new Database(join(dir, "ir.db"));
    db.prepare("INSERT INTO dead_letters (id, stage, tenant_id, type, body, reason, attempts, failed_at) VALUES ('dl_esc', 'notify', 't1', 'notification.send', '{}', ?, 8, '2031-01-01T00:00:00.000Z')")
      .run("Poison: webhook answered 400: \u001b]0;owned\u0007\u001b[2J\nnext line");
    db.close();
    const line = ir("dlq", "list").split("\n").find((l) => l.startsWith("dl_esc"))!;
    expect(line.split("\t")).toHaveLength(6);
    expect(line).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f]/);
    expect(line).toContain("webhook answered 400:");
  });

  it("answers an unknown command with its usage on stderr, without creating a data dir", () => {
    const cwd = join(dir, "elsewhere");
    mkdirSync(cwd);
    expect(run(["frobnicate"], { cwd, dataDir: null })).toMatchObject({ code: 2, out: "", err: expect.stringContaining("ir serve") });
    expect(run(["keys", "nope"], { cwd, dataDir: null }).code).toBe(2);
    expect(existsSync(join(cwd, ".ir-data"))).toBe(false);
  });
});
