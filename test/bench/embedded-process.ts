import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_INGEST_PER_SECOND } from "@ir/core";

export const REPO = new URL("../../", import.meta.url).pathname;
export const ADMIN_KEY = "bench-admin-key-0123456789";

export const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});

/** A line of /proc/<pid>/status in MB; NaN once the process is gone (the caller reports how it ended). */
const statusMb = (pid: number, field: string): number => {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};
/** Resident set of a process in MB, from the kernel's own accounting. */
export const rssMb = (pid: number): number => statusMb(pid, "VmRSS");
/**
 * The anonymous part of it: heaps and native allocations. The rest is mapped files (the node binary, the
 * WAL index), which the kernel can drop and which grow with the data, not with a leak.
 */
export const anonRssMb = (pid: number): number => statusMb(pid, "RssAnon");

export interface EmbeddedProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  dataDir: string;
  /** How the server ended if it ended on its own (killed by someone else, crashed); null while it runs. */
  ended(): string | null;
  /** A tenant on a plan without monthly limits and with the highest ingest rate, so a benchmark never hits a quota. */
  tenant(name: string): Promise<{ tenant_id: string; api_key: string }>;
  stop(): Promise<void>;
}

/**
 * The embedded runtime exactly as `npm start` runs it, in its own process: the load generator must not
 * share the server's event loop or CPU accounting.
 */
export async function startEmbeddedProcess(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<EmbeddedProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "ir-bench-"));
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, "packages/runtime-embedded/bin/ir.js"), "serve"], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", IR_DATA_DIR: dataDir, IR_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  // A benchmark whose server died must say so, not report a collapse in throughput.
  let stopping = false;
  let ended: string | null = null;
  child.once("exit", (code, signal) => {
    if (stopping) return;
    ended = `ir serve (pid ${child.pid}) exited during the run: code ${code}, signal ${signal}`;
    console.error(ended);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) { child.kill("SIGKILL"); throw new Error("server did not become ready in 30 s"); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, pid: child.pid!, child, dataDir,
    ended: () => ended,
    async tenant(name) {
      const r = await fetch(`${url}/api/v1/admin/tenants`, { method: "POST", headers: { "content-type": "application/json", "x-admin-key": ADMIN_KEY }, body: JSON.stringify({ name, plan: "enterprise", ingest_per_second: MAX_INGEST_PER_SECOND }) });
      if (r.status !== 201) throw new Error(`tenant create: ${r.status} ${await r.text()}`);
      return (await r.json()) as { tenant_id: string; api_key: string };
    },
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
