import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import Database from "better-sqlite3";
import { tenantNamespace } from "@ir/core";
import type { Embedded } from "@ir/runtime-embedded";
import { startServer, type Client, type Res } from "../support/embedded";

/** Rows of `tenantId` in every table that has a tenant_id column, and its vectors: {} when nothing is left. */
function leftovers(dataDir: string, tenantId: string): Record<string, number> {
  const db = new Database(join(dataDir, "ir.db"), { readonly: true });
  try {
    const tables = (db.prepare("SELECT m.name FROM sqlite_master AS m WHERE m.type = 'table' AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) AS c WHERE c.name = 'tenant_id')").all() as Array<{ name: string }>).map((t) => t.name);
    const counts: Record<string, number> = {};
    for (const t of tables) counts[t] = (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE tenant_id = ?`).get(tenantId) as { n: number }).n;
    counts.vectors = (db.prepare("SELECT count(*) AS n FROM vectors WHERE namespace = ?").get(tenantNamespace(tenantId)) as { n: number }).n;
    // The scan itself must see the tables, or it would find nothing anywhere.
    expect(tables).toEqual(expect.arrayContaining(["alarms", "idempotency", "queue", "tenants"]));
    return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  } finally {
    db.close();
  }
}

/** A promise and the function that settles it: one step of a race the test puts in order. */
const signal = () => {
  let fire!: () => void;
  const fired = new Promise<void>((r) => { fire = r; });
  return { fire, fired };
};

/** Holds the tenant's erase inside its transaction until `gate` fires, signalling `inErase` once there. */
const holdErase = (eraser: { erase: (id: string) => Promise<void> }) => {
  const erase = eraser.erase;
  const inErase = signal(), gate = signal();
  eraser.erase = async (id) => { inErase.fire(); await gate.fired; return erase(id); };
  return { inErase: inErase.fired, letEraseGo: gate.fire, restore: () => Object.assign(eraser, { erase }) };
};

/**
 * Signals `queued` at the first call for exclusive use of the store once armed. With the erase holding the store
 * and the pipeline idle, that call is the late request's, and it queues behind the erase.
 */
const watchExclusive = ({ writer }: Embedded) => {
  const exclusive = writer.exclusive;
  const queued = signal();
  let armed = false;
  writer.exclusive = <T>(fn: () => Promise<T> | T) => { if (armed) queued.fire(); return exclusive.call(writer, fn) as Promise<T>; };
  return { arm: () => { armed = true; }, queued: queued.fired, restore: () => Object.assign(writer, { exclusive }) };
};

const resolvedAlert = {
  version: "4", status: "resolved", receiver: "ir", groupKey: "{}", truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am",
  alerts: [{ status: "resolved", labels: { alertname: "DiskFull", service: "db" }, annotations: { summary: "disk full" }, startsAt: "2031-01-01T00:00:00Z", endsAt: "2031-01-01T00:05:00Z", generatorURL: "", fingerprint: "race-fp" }],
};

describe("a request authenticated just before its tenant's erase, written just after it", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => { srv = await startServer(); });
  afterAll(() => srv.stop());

  it.each<{ what: string; send: (c: Client) => Promise<Res> }>([
    { what: "an alarm report waiting for its decision", send: (c) => c.report("disk full on host 7", "db", {}, "?wait=5") },
    { what: "an alarm report with an Idempotency-Key", send: (c) => c.report("disk full on host 8", "db", {}, "", { "idempotency-key": "race-1" }) },
    { what: "an Alertmanager resolution", send: (c) => c.req("POST", "/api/v1/ingest/alertmanager", resolvedAlert) },
  ])("$what gets 401 and writes nothing of the erased tenant", async ({ send }) => {
    const t = await srv.client.tenant("erased-co");
    expect((await t.client.report("disk full on host 1", "db")).body.status).toBe("new");
    // The erase waits inside its transaction until the late request has authenticated and queued its write,
    // which then can only be committed after the erase.
    const { eraser, alarms, bus } = srv.ports;
    const [accept, publish] = [alarms.accept, bus.publish];
    const { inErase, letEraseGo, restore } = holdErase(eraser);
    const { fire: writing, fired: atWrite } = signal();
    alarms.accept = (...args) => { writing(); return accept.apply(alarms, args); };
    bus.publish = (...args) => { writing(); return publish.apply(bus, args); };
    try {
      const erased = t.client.req("DELETE", "/api/v1/tenant");
      await inErase;
      const late = send(t.client);
      await atWrite;
      letEraseGo();

      expect((await erased).status).toBe(200);
      const res = await late;
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 401, code: "unauthorized" });
    } finally {
      restore();
      Object.assign(alarms, { accept });
      Object.assign(bus, { publish });
    }
    await srv.pump.idle();
    expect(leftovers(srv.dataDir, t.tenant_id)).toEqual({});
  });
});

describe("a tenant's API change authenticated just before its erase, run just after it", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => { srv = await startServer(); });
  afterAll(() => srv.stop());

  it.each<{ what: string; send: (c: Client, incidentId: string) => Promise<Res> }>([
    { what: "a new API key", send: (c) => c.req("POST", "/api/v1/keys", { label: "late" }) },
    { what: "a new runbook", send: (c) => c.req("POST", "/api/v1/runbooks", { title: "Disk full", content: "free space" }) },
    { what: "notification routing", send: (c) => c.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: "http://127.0.0.1:9/hook" }] }) },
    { what: "settings", send: (c) => c.req("PATCH", "/api/v1/settings", { auto_resolve: false }) },
    { what: "a comment", send: (c, id) => c.req("POST", `/api/v1/incidents/${id}/comments`, { user: "jo", comment: "late" }) },
  ])("$what gets 401 and writes nothing of the erased tenant", async ({ send }) => {
    const t = await srv.client.tenant("erased-co");
    const opened = await t.client.report("disk full on host 1", "db", {}, "?wait=5");
    expect(opened.body.status).toBe("new");
    const { eraser, tenants } = srv.ports;
    const get = tenants.get;
    // The erase holds the store until the late request has authenticated (read its tenant) and queued behind it.
    // Nothing queued or due: no pipeline pass asks for the store while the erase holds it (see watchExclusive).
    await srv.pump.idle();
    expect(srv.queue.nextVisibleAt()).toBeNull();
    const { inErase, letEraseGo, restore } = holdErase(eraser);
    const { arm, queued, restore: restoreExclusive } = watchExclusive(srv);
    const { fire: authenticated, fired: asked } = signal();
    try {
      const erased = t.client.req("DELETE", "/api/v1/tenant");
      await inErase;
      arm();
      tenants.get = (...args) => { authenticated(); return get.apply(tenants, args); };
      const late = send(t.client, opened.body.incident_id);
      await Promise.all([asked, queued]);
      letEraseGo();
      expect((await erased).status).toBe(200);
      const res = await late;
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 401, code: "unauthorized" });
    } finally {
      restore();
      restoreExclusive();
      Object.assign(tenants, { get });
    }
    await srv.pump.idle();
    expect(leftovers(srv.dataDir, t.tenant_id)).toEqual({});
  });
});
