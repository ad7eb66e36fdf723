import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { join } from "node:path";
import { startServer, type Client } from "../support/embedded";
import { takeClock } from "../support/clock";
import { until } from "../support/until";
import { HELD_OPEN_MAX_DAYS } from "@ir/core";

const DAY = 86_400_000;
const T0 = Date.parse("2031-03-01T00:00:00.000Z");
const at = (days: number) => T0 + days * DAY;

/** Rows of each table that mention an id, read straight from the file (a second connection, as any tool would). */
function rowsMentioning(dataDir: string, id: string) {
  const db = new Database(join(dataDir, "ir.db"), { readonly: true });
  try {
    const like = `%${id}%`;
    const count = (sql: string) => (db.prepare(sql).get(...Array(sql.split("?").length - 1).fill(like)) as { n: number }).n;
    return {
      incidents: count("SELECT COUNT(*) AS n FROM incidents WHERE incident_id LIKE ?"),
      fingerprints: count("SELECT COUNT(*) AS n FROM fingerprints WHERE incident_id LIKE ?"),
      source_keys: count("SELECT COUNT(*) AS n FROM source_keys WHERE incident_id LIKE ?"),
      vectors: count("SELECT COUNT(*) AS n FROM vectors WHERE id LIKE ?"),
      kv: count("SELECT COUNT(*) AS n FROM kv WHERE key LIKE ?"),
      alarms: count("SELECT COUNT(*) AS n FROM alarms WHERE alarm_id LIKE ? OR outcome LIKE ?"),
      audit: count("SELECT COUNT(*) AS n FROM audit WHERE doc LIKE ?"),
    };
  } finally {
    db.close();
  }
}

const am = (status: "firing" | "resolved", startsAt: string, endsAt = "0001-01-01T00:00:00Z") => ({
  version: "4", status, receiver: "ir", groupKey: "{}", truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am",
  alerts: [{ status, labels: { alertname: "QueueBacklog", service: "billing" }, annotations: { summary: "queue invoices backlog above 5000 messages" }, startsAt, endsAt, generatorURL: "", fingerprint: "am-backlog-1" }],
});

describe("retention purges incidents and alarms past the plan's retention (embedded job)", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let clock: ReturnType<typeof takeClock>;
  let free: Client, starter: Client, ent: Client;
  const ids: Record<string, { incident: string; alarm: string }> = {};

  beforeAll(async () => {
    srv = await startServer();
    clock = takeClock(srv.ports, T0);
    free = (await srv.client.tenant("free-co")).client;
    starter = (await srv.client.tenant("starter-co", { plan: "starter" })).client;
    ent = (await srv.client.tenant("ent-co", { plan: "enterprise", retention_days: 2 })).client;

    // Day 0: everything opens.
    const open = async (name: string, api: Client, error: string, service: string, headers: Record<string, string> = {}) => {
      const r = await api.report(error, service, {}, "?wait=10", headers);
      expect(r.body.status).toBe("new");
      ids[name] = { incident: r.body.incident_id, alarm: r.body.alarm_id };
    };
    await open("resolvedEarly", free, "OOMKilled: container api exceeded memory limit 512Mi", "api", { "idempotency-key": "day0-oom" });
    await open("recurring", free, "connect ECONNREFUSED 10.0.0.7:5432", "orders");
    await open("quiet", free, "x509: certificate has expired or is not yet valid", "edge");
    await open("resolvedLate", free, "No space left on device: /var/lib/docker", "builder");
    await open("starterOld", starter, "OOMKilled: container api exceeded memory limit 512Mi", "api");
    await open("entOld", ent, "OOMKilled: container api exceeded memory limit 512Mi", "api");
    const fromAm = await free.req("POST", "/api/v1/ingest/alertmanager", am("firing", "2031-03-01T00:00:00Z"));
    const amOutcome = await free.req("GET", `/api/v1/alarms/${fromAm.body.alarms[0]}?wait=10`);
    ids.alertmanager = { incident: amOutcome.body.incident_id, alarm: fromAm.body.alarms[0] };

    clock.set(at(1));
    for (const [api, name] of [[free, "resolvedEarly"], [starter, "starterOld"], [ent, "entOld"]] as const) {
      expect((await api.req("POST", `/api/v1/incidents/${ids[name].incident}/resolve`, { resolution: "restarted", resolved_by: "sre" })).status).toBe(200);
    }
    clock.set(at(3));
    const again = await free.report("connect ECONNREFUSED 10.0.3.9:5432", "orders");
    expect(again.body).toMatchObject({ status: "existing", incident_id: ids.recurring.incident });
    ids.recurrence = { incident: ids.recurring.incident, alarm: again.body.alarm_id };
    clock.set(at(5));
    await free.req("POST", `/api/v1/incidents/${ids.resolvedLate.incident}/resolve`, { resolution: "pruned images", resolved_by: "sre" });
    await srv.pump.idle();
  });
  afterAll(() => srv.stop());

  it("keeps everything while it is younger than the retention", async () => {
    const report = await srv.retention.run(new Date(at(1.5)));
    expect(report).toMatchObject({ incidents: 0, alarms: 0 });
  });

  it("purges, as of day 8, what aged out on the free (7 days) and custom enterprise (2 days) plans, and nothing else", async () => {
    clock.set(at(8) + 3_600_000);
    const report = await srv.retention.run();
    // free: resolvedEarly (resolved day 1) and quiet (last seen day 0); enterprise: entOld (resolved day 1).
    expect(report).toMatchObject({ tenants: 2, incidents: 3 });
    expect(report.alarms).toBeGreaterThanOrEqual(6);
    // The day-0 Idempotency-Key, and the key that makes a re-delivery of the Alertmanager firing count once.
    expect(report.idempotency).toBe(2);
    expect(report.audit).toBeGreaterThan(0);

    for (const name of ["resolvedEarly", "quiet"]) {
      expect((await free.req("GET", `/api/v1/incidents/${ids[name].incident}`)).status, name).toBe(404);
      expect((await free.req("GET", `/api/v1/alarms/${ids[name].alarm}`)).status, name).toBe(404);
      const left = rowsMentioning(srv.dataDir, ids[name].incident);
      expect(left, name).toEqual({ incidents: 0, fingerprints: 0, source_keys: 0, vectors: 0, kv: 0, alarms: 0, audit: 0 });
    }
    expect((await ent.req("GET", `/api/v1/incidents/${ids.entOld.incident}`)).status).toBe(404);

    // Still recurring (last seen day 3) and resolved late (day 5): kept, as is the 30-day starter tenant's.
    expect((await free.req("GET", `/api/v1/incidents/${ids.recurring.incident}`)).status).toBe(200);
    expect((await free.req("GET", `/api/v1/incidents/${ids.resolvedLate.incident}`)).status).toBe(200);
    expect((await starter.req("GET", `/api/v1/incidents/${ids.starterOld.incident}`)).status).toBe(200);
    expect(rowsMentioning(srv.dataDir, ids.recurring.incident)).toMatchObject({ incidents: 1, vectors: 1, fingerprints: 1 });
    // Its day-0 alarm aged out; its day-3 recurrence did not.
    expect((await free.req("GET", `/api/v1/alarms/${ids.recurring.alarm}`)).status).toBe(404);
    expect((await free.req("GET", `/api/v1/alarms/${ids.recurrence.alarm}`)).status).toBe(200);

    // The audit trail keeps what is younger than 7 days only.
    const events = (await free.req("GET", "/api/v1/audit?limit=1000")).body.events as Array<{ at: string; action: string }>;
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.at >= new Date(at(1) + 3_600_000).toISOString())).toBe(true);
  });

  it("keeps an incident its Alertmanager alert still fires for, however quiet, and ages it from the alert's resolution", async () => {
    // Last seen on day 0, but Alertmanager has not said resolved: the alert is still on, and so is the incident.
    expect((await free.req("GET", `/api/v1/incidents/${ids.alertmanager.incident}`)).body.status).toBe("OPEN");
    expect(rowsMentioning(srv.dataDir, ids.alertmanager.incident)).toMatchObject({ incidents: 1, source_keys: 1, vectors: 1 });

    clock.set(at(9));
    expect((await free.req("POST", "/api/v1/ingest/alertmanager", am("resolved", "2031-03-01T00:00:00Z", "2031-03-10T00:00:00Z"))).status).toBe(202);
    await until(async () => (await free.req("GET", `/api/v1/incidents/${ids.alertmanager.incident}`)).body.status === "RESOLVED", 10_000);
    await srv.retention.run(new Date(at(15)));
    expect(rowsMentioning(srv.dataDir, ids.alertmanager.incident).incidents).toBe(1);
    await srv.retention.run(new Date(at(16) + 3_600_000));
    expect(rowsMentioning(srv.dataDir, ids.alertmanager.incident)).toMatchObject({ incidents: 0, source_keys: 0, vectors: 0, kv: 0 });
  });

  it("lets the same problem open a fresh incident once its old one is purged", async () => {
    const r = await free.report("x509: certificate has expired or is not yet valid", "edge");
    expect(r.body.status).toBe("new");
    expect(r.body.incident_id).not.toBe(ids.quiet.incident);
    // The idempotency claim aged out with its alarm: the key opens a new alarm now.
    const retry = await free.report("OOMKilled: container api exceeded memory limit 512Mi", "api", {}, "?wait=10", { "idempotency-key": "day0-oom" });
    expect(retry.body.alarm_id).not.toBe(ids.resolvedEarly.alarm);
  });

  it("runs on its own on a timer (hourly in production; shortened here)", async () => {
    clock.set(at(40));
    srv.retention.start(50, 10);
    try {
      await until(async () => (await starter.req("GET", `/api/v1/incidents/${ids.starterOld.incident}`)).status === 404, 10_000);
    } finally {
      srv.retention.stop();
    }
  });
});

describe("an incident its source holds open is kept, but not for ever", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let clock: ReturnType<typeof takeClock>;
  let held: Client, manual: Client;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    srv = await startServer();
    clock = takeClock(srv.ports, T0);
    held = (await srv.client.tenant("held-co")).client;
    manual = (await srv.client.tenant("manual-co")).client;
    // Sources resolve nothing for this tenant: nothing it has is held open.
    expect((await manual.req("PATCH", "/api/v1/settings", { auto_resolve: false })).status).toBe(200);
    for (const [name, api] of [["held", held], ["manual", manual]] as const) {
      const fired = await api.req("POST", "/api/v1/ingest/alertmanager", am("firing", "2031-03-01T00:00:00Z"));
      ids[name] = (await api.req("GET", `/api/v1/alarms/${fired.body.alarms[0]}?wait=10`)).body.incident_id;
    }
  });
  afterAll(() => srv.stop());

  const stored = (name: string) => rowsMentioning(srv.dataDir, ids[name]).incidents;

  it("ages from the last alarm as usual when the tenant's sources resolve nothing (auto_resolve off)", async () => {
    await srv.retention.run(new Date(at(8)));
    expect(stored("manual")).toBe(0);
    expect(stored("held")).toBe(1);
  });

  it(`keeps one held open by its alert for ${HELD_OPEN_MAX_DAYS} days after its last alarm (a source may never resolve), then purges it`, async () => {
    await srv.retention.run(new Date(at(HELD_OPEN_MAX_DAYS - 1)));
    expect(stored("held")).toBe(1);
    await srv.retention.run(new Date(at(HELD_OPEN_MAX_DAYS + 1)));
    expect(rowsMentioning(srv.dataDir, ids.held)).toMatchObject({ incidents: 0, source_keys: 0, vectors: 0 });
  });
});
