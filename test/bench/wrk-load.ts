import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlarmBody } from "./alarm-mix";
import { rssMb } from "./embedded-process";
import type { LoadResult } from "./report-load";

/** Bodies cycled through by wrk: enough that the mix's randomness (numbers, ids, hosts) is not a short loop. */
const BODIES = 50_000;

export const hasWrk = () => spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;

/**
 * Closed-loop load from wrk (Debian's `wrk`): a C client costs the machine about a tenth of what
 * autocannon does per request, so on 2 cores it leaves the server the CPU that the figure is about.
 * The bodies come from the same alarm mix as every other benchmark, written to a file that the Lua
 * script cycles through.
 */
export async function wrkLoad(o: { url: string; apiKey: string; pid: number; connections: number; seconds: number; next: () => AlarmBody }): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "ir-wrk-"));
  const file = join(dir, "bodies.jsonl");
  writeFileSync(file, Array.from({ length: BODIES }, () => JSON.stringify(o.next())).join("\n"));
  let maxRss = 0;
  const sampler = setInterval(() => { maxRss = Math.max(maxRss, rssMb(o.pid)); }, 250);
  try {
    const args = ["-t", "1", "-c", String(o.connections), "-d", `${o.seconds}s`, "--timeout", "15s", "--latency",
      "-s", new URL("./wrk-report.lua", import.meta.url).pathname, `${o.url}/api/v1/incidents?wait=10`, "--", file, o.apiKey];
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      child.stdout.on("data", (d) => { text += d; });
      child.on("error", reject);
      child.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
    });
    const line = /WRK_RESULT (.*)/.exec(out)?.[1];
    if (!line) throw new Error(`no result from wrk: ${out}`);
    const r = JSON.parse(line) as { duration_us: number; requests: number; errors: number; p50_us: number; p99_us: number; counts: Record<string, number> };
    const seconds = r.duration_us / 1e6;
    const outcomes: Record<string, number> = {};
    const other: Record<string, number> = {};
    for (const [k, n] of Object.entries(r.counts)) (k.startsWith("http_") ? other : outcomes)[k.replace("http_", "")] = n;
    const decided = Object.values(outcomes).reduce((a, b) => a + b, 0);
    maxRss = Math.max(maxRss, rssMb(o.pid));
    return {
      connections: o.connections, seconds, decided, decidedPerSecond: decided / seconds, outcomes, other, errors: r.errors,
      p50: r.p50_us / 1000, p99: r.p99_us / 1000, maxRssMb: maxRss, endRssMb: rssMb(o.pid),
    };
  } finally {
    clearInterval(sampler);
    rmSync(dir, { recursive: true, force: true });
  }
}
