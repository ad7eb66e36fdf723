import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePort, rssMb } from "./embedded-process";
import { fixed, formatTable, thousands } from "./table";

const BINARY = process.env.ALERTMANAGER_BIN ?? "/usr/bin/prometheus-alertmanager";
export const CONNECTIONS = 32;

export interface AlertmanagerResult { alertsPerSecond: number; p50: number; p99: number; maxRssMb: number }

/**
 * The yardstick: Debian's Prometheus Alertmanager ingesting alerts (POST /api/v2/alerts, one alert per
 * request, 1,000 distinct label sets) on this machine, driven by autocannon at 32 connections. It routes
 * to a receiver with no integrations, so what is measured is its ingest, as ours is measured to a decision.
 */
export async function measureAlertmanager(seconds: number): Promise<AlertmanagerResult | null> {
  if (!existsSync(BINARY)) return null;
  const dir = mkdtempSync(join(tmpdir(), "ir-bench-am-"));
  writeFileSync(join(dir, "alertmanager.yml"), "route:\n  receiver: blackhole\n  group_by: [alertname]\nreceivers:\n  - name: blackhole\n");
  const port = await freePort();
  const am = spawn(BINARY, [`--config.file=${join(dir, "alertmanager.yml")}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--log.level=error"], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 30_000;
    while (!(await fetch(`${url}/-/ready`).then((r) => r.ok, () => false))) {
      if (am.exitCode !== null || Date.now() > deadline) throw new Error("alertmanager did not become ready");
      await new Promise((r) => setTimeout(r, 100));
    }
    let n = 0;
    const body = () => {
      const i = n++ % 1000;
      return JSON.stringify([{
        labels: { alertname: `HighErrorRate${i % 50}`, service: `svc-${i % 5}`, instance: `10.0.${i % 20}.${i % 250}:9100`, severity: "critical" },
        annotations: { summary: `5xx error rate above 5% on svc-${i % 5}`, description: `${(Math.random() * 10).toFixed(2)}% of requests failed` },
        startsAt: new Date().toISOString(),
      }]);
    };
    const run = (s: number) => autocannon({
      url, connections: CONNECTIONS, duration: s, timeout: 15,
      requests: [{ method: "POST", path: "/api/v2/alerts", headers: { "content-type": "application/json" }, setupRequest: (req) => ({ ...req, body: body() }) }],
    });
    await run(2);
    let maxRss = 0;
    const sampler = setInterval(() => { maxRss = Math.max(maxRss, rssMb(am.pid!)); }, 250);
    const result = await run(seconds);
    clearInterval(sampler);
    const ok = result.statusCodeStats["200"]?.count ?? 0;
    return { alertsPerSecond: ok / result.duration, p50: result.latency.p50, p99: result.latency.p99, maxRssMb: maxRss };
  } finally {
    am.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

export function alertmanagerTable(am: AlertmanagerResult | null, oursAt32: number | undefined): string {
  if (!am) return formatTable("Prometheus Alertmanager ingest (yardstick)", ["", ""], [[`${BINARY} not installed`, "skipped"]]);
  const ratio = oursAt32 === undefined ? "run with the http section" : `${fixed(oursAt32 / am.alertsPerSecond, 2)} (ours ÷ Alertmanager's)`;
  return formatTable(
    `Prometheus Alertmanager ingest on this machine, same run (POST /api/v2/alerts, ${CONNECTIONS} connections)`,
    ["", "alerts/s accepted", "p50 ms", "p99 ms", "max RSS MB"],
    [["alertmanager", thousands(am.alertsPerSecond), fixed(am.p50), fixed(am.p99), fixed(am.maxRssMb, 0)],
      ["ours, decided at 32 clients", oursAt32 === undefined ? "–" : thousands(oursAt32), "", "", ""]],
    [`ratio: ${ratio}`, "Alertmanager only stores and groups the alert; ours is decided (deduplicated, written, runbooks ranked) before the answer"],
  );
}
