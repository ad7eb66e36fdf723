import { until } from "../support/until";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:net";
import { startServer, tempDir, type Client } from "../support/embedded";

const BINARY = process.env.ALERTMANAGER_BIN ?? "/usr/bin/prometheus-alertmanager";
const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});

describe("a real Prometheus Alertmanager delivering to the embedded server", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  let am: ChildProcess;
  let amUrl: string;

  beforeAll(async () => {
    srv = await startServer();
    const tenant = await srv.client.tenant("am");
    api = tenant.client;
    const dir = tempDir("am");
    const amPort = await freePort();
    writeFileSync(join(dir, "alertmanager.yml"), `
route:
  receiver: ir
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: ir
    webhook_configs:
      - url: ${srv.url}/api/v1/ingest/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: ${tenant.api_key}
`);
    am = spawn(BINARY, [`--config.file=${join(dir, "alertmanager.yml")}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${amPort}`, "--cluster.listen-address="], { stdio: "ignore" });
    amUrl = `http://127.0.0.1:${amPort}`;
    await until(() => fetch(`${amUrl}/-/ready`).then((r) => r.ok, () => false));
  });
  afterAll(async () => {
    am?.kill("SIGKILL");
    await srv?.stop();
  });

  const post = (alerts: object[]) => fetch(`${amUrl}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(alerts) });
  const alert = { labels: { alertname: "CheckoutErrorRate", service: "checkout", severity: "critical" }, annotations: { summary: "High 5xx error rate on checkout", description: "5.2% of requests fail with 503" } };

  it("a firing alert opens an incident, its resolution resolves it", async () => {
    const startsAt = new Date().toISOString();
    expect((await post([{ ...alert, startsAt }])).ok).toBe(true);

    const incident = await until(async () => (await api.req("GET", "/api/v1/incidents?service=checkout")).body.incidents[0]);
    expect(incident).toMatchObject({ service: "checkout", severity: "CRITICAL", status: "OPEN" });
    expect(incident.error_message).toContain("High 5xx error rate on checkout");

    expect((await post([{ ...alert, startsAt, endsAt: new Date().toISOString() }])).ok).toBe(true);
    const resolved = await until(async () => {
      const i = (await api.req("GET", `/api/v1/incidents/${incident.incident_id}`)).body;
      return i.status === "RESOLVED" ? i : null;
    });
    expect(resolved.resolved_by).toBe("alertmanager");
  });
});
