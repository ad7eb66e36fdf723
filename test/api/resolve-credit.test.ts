import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Client } from "../support/embedded";
import { until } from "../support/until";

/**
 * With auto_resolve on, the source usually resolves an incident before anyone records what fixed it. The
 * on-call's later resolve naming a runbook must record and credit it (once), not answer 200 and drop it.
 */
describe("crediting a runbook after the source resolved the incident", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  beforeAll(async () => {
    srv = await startServer();
    api = (await srv.client.tenant("credit", { plan: "professional" })).client;
  });
  afterAll(() => srv.stop());

  const alert = (status: "firing" | "resolved") => ({
    status, fingerprint: "fp-timeout", labels: { alertname: "LambdaTimeout", service: "payment-processor" },
    annotations: { summary: "Task timed out after 30.03 seconds" }, startsAt: "2031-03-01T10:00:00Z",
    endsAt: status === "resolved" ? "2031-03-01T10:20:00Z" : "0001-01-01T00:00:00Z", generatorURL: "",
  });
  const webhook = (status: "firing" | "resolved") => api.req("POST", "/api/v1/ingest/alertmanager", {
    version: "4", status, receiver: "ir", groupKey: "{}:{alertname=\"LambdaTimeout\"}", truncatedAlerts: 0,
    groupLabels: { alertname: "LambdaTimeout" }, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am", alerts: [alert(status)],
  });
  const incident = async (id: string) => (await api.req("GET", `/api/v1/incidents/${id}`)).body;
  const successes = async (runbookId: string) => (await api.req("GET", `/api/v1/runbooks/${runbookId}`)).body.success_count as number;

  it("records the runbook on the auto-resolved incident and credits it once, however often it is named", async () => {
    expect((await webhook("firing")).status).toBe(202);
    const opened = await until(async () => (await api.req("GET", "/api/v1/incidents?service=payment-processor")).body.incidents[0]);
    const id: string = opened.incident_id;
    const rb: string = opened.recommended_runbooks[0].runbook_id;
    expect((await webhook("resolved")).status).toBe(202);
    const auto = await until(async () => { const i = await incident(id); return i.status === "RESOLVED" ? i : null; });
    expect(auto.resolved_runbook_id).toBeNull();
    expect(await successes(rb)).toBe(0);

    const body = { resolution: "raised the timeout to 60s", resolved_by: "oncall@acme.io", runbook_id: rb };
    for (let i = 0; i < 2; i++) {
      const res = await api.req("POST", `/api/v1/incidents/${id}/resolve`, body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: "success", incident_id: id });
    }
    // Another runbook named later changes nothing either, and the caller is told so.
    const other: string = opened.recommended_runbooks[1].runbook_id;
    expect((await api.req("POST", `/api/v1/incidents/${id}/resolve`, { ...body, runbook_id: other })).status).toBe(409);

    const doc = await incident(id);
    expect(doc).toMatchObject({ status: "RESOLVED", resolved_runbook_id: rb, resolution: "raised the timeout to 60s", resolved_by: "oncall@acme.io", resolved_at: auto.resolved_at });
    expect(doc.resolution_pending).toBeUndefined();
    expect(doc.history.filter((h: { event: string }) => h.event === "runbook_credited")).toHaveLength(1);
    expect(await successes(rb)).toBe(1);
    expect(await successes(other)).toBe(0);
  });

  it("a resolve sent twice (a client retry) credits the tenant's own runbook once", async () => {
    const created = await api.req("POST", "/api/v1/runbooks", { title: "Disk full on the database host", content: "## Resolution\n\nVacuum, then grow the volume." });
    const rb: string = created.body.runbook_id;
    const out = await api.report("Disk /var/lib/postgresql is 97% full on db-7", "orders-db");
    const body = { resolution: "vacuumed and grew the volume", resolved_by: "dba@acme.io", runbook_id: rb };
    for (let i = 0; i < 2; i++) expect((await api.req("POST", `/api/v1/incidents/${out.body.incident_id}/resolve`, body)).status).toBe(200);
    expect((await incident(out.body.incident_id)).resolved_runbook_id).toBe(rb);
    expect(await successes(rb)).toBe(1);
    expect((await api.req("GET", "/api/v1/runbooks")).body.runbooks.find((r: { runbook_id: string }) => r.runbook_id === rb).success_count).toBe(1);
  });

  it("a second, different resolution of a resolved incident is refused with 409 and changes nothing", async () => {
    const out = await api.report("Kafka consumer group billing lag 41000 messages on partition 3", "billing");
    const id: string = out.body.incident_id;
    const first = { resolution: "scaled the consumers to 6", resolved_by: "alice@acme.io", runbook_id: "rb_global_lambda-timeout" };
    expect((await api.req("POST", `/api/v1/incidents/${id}/resolve`, first)).status).toBe(200);

    const other = await api.req("POST", `/api/v1/incidents/${id}/resolve`, { resolution: "restarted the broker", resolved_by: "bob@acme.io", runbook_id: "rb_global_disk-full" });
    expect(other).toMatchObject({ status: 409, body: { error: { code: "conflict", message: expect.stringContaining("alice@acme.io") } } });
    expect(await incident(id)).toMatchObject({ resolution: first.resolution, resolved_by: first.resolved_by, resolved_runbook_id: first.runbook_id });
    expect(await successes("rb_global_disk-full")).toBe(0);
    // The same resolution again is a retry, still answered as the first was.
    expect((await api.req("POST", `/api/v1/incidents/${id}/resolve`, first)).status).toBe(200);
  });
});
