import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Client } from "../support/embedded";

describe("incident lifecycle through HTTP (DESIGN §4)", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  beforeAll(async () => {
    srv = await startServer();
    api = (await srv.client.tenant("lifecycle")).client;
  });
  afterAll(() => srv.stop());

  it("new → existing → other service separate → resolve credits runbook → regression linked and escalated", async () => {
    const first = await api.report("Task timed out after 30.03 seconds (request 8f3a-11)", "payment-processor", { severity: "MEDIUM" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "new", occurrences: 1, severity: "MEDIUM" });
    expect(first.body.runbooks[0]).toMatchObject({ runbook_id: "rb_global_lambda-timeout" });

    const dup = await api.report("Task timed out after 29.87 seconds (request 77bc-02)", "payment-processor");
    expect(dup.body).toMatchObject({ status: "existing", incident_id: first.body.incident_id, occurrences: 2 });

    const other = await api.report("Task timed out after 30.03 seconds (request 8f3a-11)", "checkout");
    expect(other.body.status).toBe("new");
    expect(other.body.incident_id).not.toBe(first.body.incident_id);

    const resolved = await api.req("POST", `/api/v1/incidents/${first.body.incident_id}/resolve`, { resolution: "raised timeout to 60s", resolved_by: "oncall@acme.io", runbook_id: "rb_global_lambda-timeout" });
    expect(resolved).toMatchObject({ status: 200, body: { status: "success", incident_id: first.body.incident_id } });

    const again = await api.report("Task timed out after 31.5 seconds (request 0000-99)", "payment-processor");
    expect(again.body).toMatchObject({ status: "regression", regression_of: first.body.incident_id, severity: "HIGH", occurrences: 1 });

    const old = await api.req("GET", `/api/v1/incidents/${first.body.incident_id}`);
    expect(old.body).toMatchObject({ status: "RESOLVED", resolved_by: "oncall@acme.io", resolution: "raised timeout to 60s", occurrences: 2 });
    expect(old.body.history.map((h: { event: string }) => h.event)).toEqual(["created", "recurred", "resolved", "regression_opened"]);
    const reg = await api.req("GET", `/api/v1/incidents/${again.body.incident_id}`);
    expect(reg.body.history.map((h: { event: string }) => h.event)).toEqual(["created", "regressed"]);
    // The resolution taught the ranker: the regression shows how the last one was fixed.
    expect(reg.body.similar_resolutions[0]).toMatchObject({ incident_id: first.body.incident_id, resolution: "raised timeout to 60s" });
  });

  it("opens one regression when several variants of a resolved incident recur", async () => {
    const variants = ["Login failed for user alice: invalid password", "Login failed for user bob: invalid password", "Login failed for user carol: invalid password"];
    const first = await api.report(variants[0], "auth");
    for (const v of variants.slice(1)) expect((await api.report(v, "auth")).body).toMatchObject({ status: "existing", incident_id: first.body.incident_id });
    expect((await api.req("POST", `/api/v1/incidents/${first.body.incident_id}/resolve`, { resolution: "reset the LDAP bind", resolved_by: "oncall@acme.io" })).status).toBe(200);

    const again = [];
    for (const v of variants) again.push((await api.report(v, "auth")).body);
    expect(again[0]).toMatchObject({ status: "regression", regression_of: first.body.incident_id });
    // Each variant's fingerprint still points at the resolved incident: they join its regression, not one each.
    for (const later of again.slice(1)) expect(later).toMatchObject({ status: "existing", incident_id: again[0].incident_id });
  });

  it("a LOW alert that keeps coming back regresses at HIGH each time, not one level higher each time", async () => {
    const alarm = "Replication slot wal_archive is 3 hours behind";
    let id = (await api.report(alarm, "pg-archive", { severity: "LOW" })).body.incident_id;
    const severities = [];
    for (let round = 0; round < 3; round++) {
      expect((await api.req("POST", `/api/v1/incidents/${id}/resolve`, { resolution: "renewed", resolved_by: "oncall@acme.io" })).status).toBe(200);
      const again = (await api.report(alarm, "pg-archive", { severity: "LOW" })).body;
      expect(again).toMatchObject({ status: "regression", regression_of: id });
      severities.push(again.severity);
      id = again.incident_id;
    }
    expect(severities).toEqual(["HIGH", "HIGH", "HIGH"]);
  });

  it("answers 202 and then the outcome at GET /api/v1/alarms/{id}", async () => {
    const r = await api.report("Connection refused to redis:6379", "cart", {}, "");
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ alarm_id: expect.stringMatching(/^alm_/), status: "queued" });
    const decided = await api.req("GET", `/api/v1/alarms/${r.body.alarm_id}?wait=10`);
    expect(decided.body).toMatchObject({ alarm_id: r.body.alarm_id, status: "new", incident_id: expect.stringMatching(/^inc_/) });
  });

  it("gives the same outcome at GET /api/v1/alarms/{id} as the report's own answer, recommendations included", async () => {
    const r = await api.report("Disk /var/lib/postgresql is 97% full on db-3", "orders-db");
    expect(r.body.recommendations.length).toBeGreaterThan(0);
    // Stored without them (they are the incident's) and read back from the incident.
    expect((await api.req("GET", `/api/v1/alarms/${r.body.alarm_id}`)).body).toEqual(r.body);
    const dup = await api.report("Disk /var/lib/postgresql is 98% full on db-4", "orders-db");
    expect(dup.body).toMatchObject({ status: "existing", incident_id: r.body.incident_id, recommendations: r.body.recommendations });
    expect((await api.req("GET", `/api/v1/alarms/${dup.body.alarm_id}`)).body).toEqual(dup.body);
  });

  it("honours Idempotency-Key: a retried report returns the same alarm and counts once", async () => {
    const send = () => api.report("Payment gateway returned 502 Bad Gateway", "gateway", {}, "?wait=10", { "idempotency-key": "retry-1" });
    const [a, b] = [await send(), await send()];
    expect(b.body.alarm_id).toBe(a.body.alarm_id);
    const inc = await api.req("GET", `/api/v1/incidents/${a.body.incident_id}`);
    expect(inc.body.occurrences).toBe(1);
  });

  it("adds comments to the history and lists incidents newest first with a cursor", async () => {
    const r = await api.report("Certificate for api.acme.io expires in 3 days", "edge");
    await api.req("POST", `/api/v1/incidents/${r.body.incident_id}/comments`, { user: "jo@acme.io", comment: "renewing" });
    const inc = await api.req("GET", `/api/v1/incidents/${r.body.incident_id}`);
    expect(inc.body.history.at(-1)).toMatchObject({ event: "comment_added", user: "jo@acme.io", comment: "renewing" });
    const page1 = await api.req("GET", "/api/v1/incidents?limit=2");
    expect(page1.body.incidents).toHaveLength(2);
    expect(page1.body.incidents[0].incident_id).toBe(r.body.incident_id);
    const page2 = await api.req("GET", `/api/v1/incidents?limit=2&cursor=${page1.body.next_cursor}`);
    // The tests above opened far more than four: a cursor that skipped past them all would leave page 2 empty.
    expect(page2.body.incidents).toHaveLength(2);
    const both = [...page1.body.incidents, ...page2.body.incidents] as Array<{ incident_id: string; created_at: string }>;
    expect(new Set(both.map((i) => i.incident_id)).size).toBe(4);
    expect(both.map((i) => i.created_at)).toEqual(both.map((i) => i.created_at).sort().reverse());
    const open = await api.req("GET", "/api/v1/incidents?status=OPEN&service=edge");
    expect(open.body.incidents.map((i: { service: string }) => i.service)).toEqual(["edge"]);
  });

  it("ranks a tenant runbook first for its alarm, and hides global runbooks from tenants that opted out", async () => {
    const rb = await api.req("POST", "/api/v1/runbooks", { title: "Ledger reconciliation drift", content: "## Symptoms\nledger drift detected between ledger and bank statement\n## Resolution\nRun the reconcile job.", tags: ["ledger"] });
    expect(rb.status).toBe(201);
    const r = await api.report("ledger drift detected: 12 entries differ from bank statement", "ledger");
    expect(r.body.runbooks[0].runbook_id).toBe(rb.body.runbook_id);
    await api.req("POST", `/api/v1/incidents/${r.body.incident_id}/resolve`, { resolution: "reconciled", resolved_by: "fin", runbook_id: rb.body.runbook_id });
    expect((await api.req("GET", `/api/v1/runbooks/${rb.body.runbook_id}`)).body.success_count).toBe(1);

    const solo = (await srv.client.tenant("solo", { global_runbooks: false })).client;
    const s = await solo.report("Task timed out after 30.03 seconds", "lambda-x");
    expect(s.body.runbooks).toEqual([]);
    expect((await solo.req("GET", "/api/v1/runbooks/rb_global_lambda-timeout")).status).toBe(404);
    expect((await api.req("GET", "/api/v1/runbooks/rb_global_lambda-timeout")).status).toBe(200);
    // Nor can it be credited with one.
    const credit = await solo.req("POST", `/api/v1/incidents/${s.body.incident_id}/resolve`, { resolution: "raised the timeout", resolved_by: "me", runbook_id: "rb_global_lambda-timeout" });
    expect(credit).toMatchObject({ status: 400, body: { error: { message: "runbook_id: no such runbook" } } });
  });

  it("serves runbook CRUD", async () => {
    const c = await api.req("POST", "/api/v1/runbooks", { title: "Queue stuck", content: "Restart the consumer." });
    const u = await api.req("PUT", `/api/v1/runbooks/${c.body.runbook_id}`, { title: "Queue stuck (v2)", content: "Restart the consumer, then drain." });
    expect(u.body).toMatchObject({ title: "Queue stuck (v2)", success_count: 0 });
    const list = await api.req("GET", "/api/v1/runbooks");
    expect(list.body.runbooks.map((r: { runbook_id: string }) => r.runbook_id)).toContain(c.body.runbook_id);
    expect((await api.req("DELETE", `/api/v1/runbooks/${c.body.runbook_id}`)).status).toBe(200);
    expect((await api.req("GET", `/api/v1/runbooks/${c.body.runbook_id}`)).status).toBe(404);
  });

  it("serves the dashboard with headers that keep other sites from framing it", async () => {
    const page = await srv.client.req("GET", "/dashboard");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
  });

  it("describes itself with OpenAPI 3.1 and reports health", async () => {
    expect((await srv.client.req("GET", "/healthz")).status).toBe(200);
    const doc = await srv.client.req("GET", "/openapi.json");
    expect(doc.body.openapi).toBe("3.1.0");
    const post = doc.body.paths["/api/v1/incidents"].post;
    const schema = post.requestBody.content["application/json"].schema;
    const resolved = schema.$ref ? doc.body.components.schemas[schema.$ref.split("/").pop()] : schema;
    expect(resolved.required).toEqual(expect.arrayContaining(["error", "service"]));
    // Every `{name}` of a path is declared, as OpenAPI requires (code generators refuse the document otherwise).
    for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops)) expect(op.parameters?.filter((p) => p.in === "path").map((p) => p.name).sort() ?? [], path).toEqual(names.sort());
    }
    // Query parameters the routes read are declared, with their bounds.
    const query = (path: string) => (doc.body.paths[path].get.parameters as Array<{ in: string; name: string; schema: { maximum?: number } }>).filter((p) => p.in === "query");
    expect(query("/api/v1/incidents").map((p) => p.name).sort()).toEqual(["cursor", "limit", "service", "status"]);
    expect(query("/api/v1/audit").find((p) => p.name === "limit")?.schema.maximum).toBe(1000);
    expect(query("/api/v1/alarms/{alarm_id}").map((p) => p.name)).toEqual(["wait"]);
    // An alarm not decided yet answers {alarm_id, status: "queued"}, which the 200 schema must admit.
    const alarm = doc.body.paths["/api/v1/alarms/{alarm_id}"].get.responses["200"].content["application/json"].schema;
    expect(JSON.stringify(alarm.anyOf ?? alarm.oneOf)).toContain("queued");
    // Request bodies are the schemas that validate them, limits included.
    const resolve = doc.body.paths["/api/v1/incidents/{incident_id}/resolve"].post.requestBody.content["application/json"].schema;
    expect(resolve.properties.resolution.maxLength).toBe(10_000);
  });
});
