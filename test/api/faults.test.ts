import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Client, pool, spawnServer, startServer, tempDir, REPO } from "../support/embedded";
import { until } from "../support/until";
import { startWebhookReceiver } from "../support/webhook-receiver";

/**
 * Faults the embedded runtime must survive without losing or repeating anything: a message that can never
 * succeed, a notifier that is down for a while, and a data dir it cannot write. (kill -9 mid-storm is
 * test/api/crash.test.ts.)
 */

const IR = join(REPO, "packages/runtime-embedded/bin/ir.js");
/** Length of the notifier outage; `IR_FAULT_OUTAGE_SECONDS=300 npx vitest run test/api/faults.test.ts` makes it minutes. */
const OUTAGE_S = Number(process.env.IR_FAULT_OUTAGE_SECONDS ?? 8);

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});

/** Runs a program to its end (bounded), with its exit code and everything it printed. */
function run(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}
const ir = (dataDir: string, ...args: string[]) => run(process.execPath, [IR, ...args], { IR_DATA_DIR: dataDir });

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

describe("a poison message", () => {
  const dir = tempDir("poison");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is dead-lettered at once with the reason, listed by `ir dlq list`, and after `ir dlq replay` delivered exactly once", async () => {
    const hook = await startWebhookReceiver();
    const port = await freePort();
    let child = await spawnServer(dir, port);
    try {
      // A receiver answering 400 can never accept this notification: Poison, not a retry.
      hook.answer(400);
      const { client } = await new Client(`http://127.0.0.1:${port}`).tenant("poison", { plan: "enterprise" });
      expect((await client.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: hook.url }] })).status).toBe(200);
      const reported = await client.report("Disk /var is 97% full on host web-3", "web", { severity: "HIGH" });
      expect(reported.status).toBe(200);

      // The CLI reads the same store while the server runs (WAL).
      const listed = await until(async () => { const r = await ir(dir, "dlq", "list"); return /^dl_/m.test(r.out) ? r.out : null; });
      const line = listed.split("\n").find((l) => l.startsWith("dl_"))!;
      expect(line).toMatch(/\tnotify\tnotification\.send\t/);
      expect(line).toMatch(/webhook answered 400/);
      const id = line.split("\t")[0];
      expect(hook.attempts).toHaveLength(1);

      // The receiver is fixed while the server is down; the replay is done offline, then the server restarted.
      await stop(child);
      hook.answer(200);
      const replayed = await ir(dir, "dlq", "replay", id);
      expect(replayed.code).toBe(0);
      expect(replayed.out).toContain(`replayed ${id}`);
      child = await spawnServer(dir, port);

      await until(() => hook.delivered().size === 1);
      expect((await ir(dir, "dlq", "list")).out).toContain("no dead letters");
      // The same delivery (one X-IR-Delivery id for refusal and success), acknowledged once.
      expect([...hook.delivered()]).toEqual([[hook.attempts[0].delivery, 1]]);
      expect(hook.attempts[1].payload.incident.incident_id).toBe(reported.body.incident_id);
    } finally {
      child.kill("SIGKILL");
      await hook.close();
    }
  });
});

describe(`a notifier outage of ${OUTAGE_S} s`, () => {
  it("ends with every notification delivered exactly once and nothing dead-lettered", async () => {
    const hook = await startWebhookReceiver();
    const srv = await startServer();
    try {
      hook.answer(503);
      const { client } = await srv.client.tenant("outage", { plan: "enterprise" });
      expect((await client.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: hook.url }] })).status).toBe(200);
      const timer = setTimeout(() => hook.answer(200), OUTAGE_S * 1000);

      // Six problems, each reported three times: six incidents, and duplicates that page nobody.
      const alarms = Array.from({ length: 18 }, (_, i) => ({ error: `Payment batch ${i % 6 === 0 ? "settlement" : ["refund", "payout", "chargeback", "invoice", "ledger"][i % 6 - 1]} job failed after ${100 + i} ms (run ${i}a${i})`, service: `billing-${i % 6}` }));
      const outcomes = await pool(alarms, 6, (a) => client.report(a.error, a.service, { severity: "HIGH" }));
      expect(outcomes.every((o) => o.status === 200)).toBe(true);
      const incidents = new Set(outcomes.map((o) => o.body.incident_id as string));
      expect(incidents.size).toBe(6);
      // The first six attempts fell in the outage; later ones may not, once the receiver is back.
      await until(() => hook.attempts.length >= 6);
      expect(hook.attempts.slice(0, 6).map((a) => a.status)).toEqual(Array(6).fill(503));

      const announced = () => new Set(hook.attempts.filter((a) => a.status < 300).map((a) => a.payload.incident.incident_id as string));
      await until(() => [...incidents].every((i) => announced().has(i)), OUTAGE_S * 1000 + 60_000);
      await until(() => !srv.queue.depth().notify);
      clearTimeout(timer);

      const delivered = hook.delivered();
      const attempted = new Set(hook.attempts.map((a) => a.delivery));
      expect([...delivered.values()].every((n) => n === 1)).toBe(true);
      expect(new Set(delivered.keys())).toEqual(attempted);
      expect((await srv.ports.deadLetters.list(null, { limit: 10 })).items).toEqual([]);
      expect(hook.attempts.filter((a) => a.status === 503).length).toBeGreaterThanOrEqual(6);
    } finally {
      await srv.stop();
      await hook.close();
    }
  }, OUTAGE_S * 1000 + 90_000);
});

describe("a data dir it cannot use", () => {
  const dir = tempDir("datadir");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("under a regular file: `ir serve` exits non-zero naming IR_DATA_DIR", async () => {
    // Tests run as root, for whom chmod 000 blocks nothing: a path whose parent is a file fails for everyone.
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "");
    const r = await run(process.execPath, [IR, "serve"], { IR_DATA_DIR: join(file, "data"), PORT: "0" });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("IR_DATA_DIR");
    expect(r.out).toContain(join(file, "data"));
  });

  it("on a full disk: `ir serve` exits non-zero naming the data dir, and starts cleanly on the same dir once there is room", async () => {
    // RLIMIT_FSIZE 0 makes every write to a file fail as on a full disk (EFBIG; SIGXFSZ ignored so the write returns the error).
    const data = join(dir, "full");
    const r = await run("bash", ["-c", `trap '' XFSZ; ulimit -f 0; exec "${process.execPath}" "${IR}" serve`], { IR_DATA_DIR: data, PORT: "0" });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(data);
    expect(r.out).toMatch(/^error: /m);

    const port = await freePort();
    const child = await spawnServer(data, port);
    try {
      const { client } = await new Client(`http://127.0.0.1:${port}`).tenant("after-full", { plan: "enterprise" });
      expect((await client.report("Task timed out after 30.01 seconds", "jobs")).body.status).toBe("new");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
