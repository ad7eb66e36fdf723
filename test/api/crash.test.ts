import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { Client, pool, spawnServer, tempDir, ADMIN_KEY } from "../support/embedded";

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});

describe("kill -9 during a flood", () => {
  const dir = tempDir("crash");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("after a restart every accepted alarm is decided exactly once", async () => {
    const port = await freePort();
    let child = await spawnServer(dir, port);
    const base = new Client(`http://127.0.0.1:${port}`);
    const tenant = await base.req("POST", "/api/v1/admin/tenants", { name: "crash", plan: "enterprise" }, { "x-admin-key": ADMIN_KEY });
    const api = base.as(tenant.body.api_key);

    // 1,500 alarms of 30 problems, each with an Idempotency-Key as a well-behaved client sends.
    const alarms = Array.from({ length: 1500 }, (_, i) => ({ key: `k-${i}`, service: `svc-${i % 3}`, error: `worker ${i % 30} failed: job ${i} exited with code ${i % 7}` }));
    let accepted = 0;
    const first = pool(alarms, 32, async (a) => {
      const r = await api.report(a.error, a.service, {}, "", { "idempotency-key": a.key }).catch(() => null);
      if (r?.status === 202) accepted++;
      if (accepted === 400) child.kill("SIGKILL");
      return r?.status === 202 ? (r.body.alarm_id as string) : null;
    });
    const ids = await first;
    expect(child.killed).toBe(true);
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once("exit", r));
    expect(ids.filter(Boolean).length).toBeGreaterThanOrEqual(400);
    expect(ids.filter(Boolean).length).toBeLessThan(alarms.length);

    child = await spawnServer(dir, port);
    try {
      // The client retries what it never got a 202 for; committed ones come back with their first alarm_id.
      const retried = await pool(alarms, 32, async (a, i) => {
        const r = await api.report(a.error, a.service, {}, "", { "idempotency-key": a.key });
        expect(r.status).toBe(202);
        if (ids[i]) expect(r.body.alarm_id).toBe(ids[i]);
        return r.body.alarm_id as string;
      });
      expect(new Set(retried).size).toBe(alarms.length);
      const outcomes = await pool(retried, 16, (id) => api.req("GET", `/api/v1/alarms/${id}?wait=20`));
      expect(outcomes.every((o) => ["new", "existing"].includes(o.body.status))).toBe(true);

      const incidents = (await api.req("GET", "/api/v1/incidents?limit=500")).body.incidents as Array<{ occurrences: number; service: string }>;
      const total = incidents.reduce((n, i) => n + i.occurrences, 0);
      expect(total).toBe(alarms.length);
    } finally {
      child.kill("SIGKILL");
    }
  }, 120_000);
});
