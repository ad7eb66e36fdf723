import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Client } from "../support/embedded";

describe("tenant isolation and authentication", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let a: Client, b: Client;
  let incident: string, alarm: string, runbook: string;
  beforeAll(async () => {
    srv = await startServer();
    a = (await srv.client.tenant("a")).client;
    b = (await srv.client.tenant("b")).client;
    const r = await a.report("OOMKilled: container api exceeded memory limit 512Mi", "api");
    incident = r.body.incident_id;
    alarm = r.body.alarm_id;
    runbook = (await a.req("POST", "/api/v1/runbooks", { title: "A's secret runbook", content: "only for a" })).body.runbook_id;
  });
  afterAll(() => srv.stop());

  it.each([
    ["GET", () => `/api/v1/incidents/${incident}`],
    ["GET", () => `/api/v1/alarms/${alarm}`],
    ["GET", () => `/api/v1/runbooks/${runbook}`],
    ["PUT", () => `/api/v1/runbooks/${runbook}`],
    ["DELETE", () => `/api/v1/runbooks/${runbook}`],
    ["POST", () => `/api/v1/incidents/${incident}/resolve`],
    ["POST", () => `/api/v1/incidents/${incident}/comments`],
  ])("%s %s of another tenant answers 404", async (method, path) => {
    const body = { title: "x", content: "y", resolution: "x", resolved_by: "y", user: "u", comment: "c" };
    const r = await b.req(method, path(), method === "GET" || method === "DELETE" ? undefined : body);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("not_found");
  });

  it("the same text in another tenant opens its own incident", async () => {
    const r = await b.report("OOMKilled: container api exceeded memory limit 512Mi", "api");
    expect(r.body.status).toBe("new");
    expect(r.body.incident_id).not.toBe(incident);
    expect((await b.req("GET", "/api/v1/incidents")).body.incidents.map((i: { incident_id: string }) => i.incident_id)).not.toContain(incident);
  });

  it.each([
    ["no key", {}],
    ["a wrong key", { "x-api-key": "ir_live_nope" }],
    ["a wrong bearer", { authorization: "Bearer ir_live_nope" }],
    ["an absurdly long key", { "x-api-key": "k".repeat(5000) }],
  ])("401 with %s", async (_, headers) => {
    const r = await new (srv.client.constructor as typeof Client)(srv.url).req("GET", "/api/v1/incidents", undefined, headers as Record<string, string>);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("unauthorized");
  });

  it("admin routes need the admin key, and a tenant key is not one", async () => {
    const r = await a.req("POST", "/api/v1/admin/tenants", { name: "x" }, { "x-admin-key": a.key! });
    expect(r.status).toBe(401);
  });

  it("a revoked key stops working at once", async () => {
    const k = await a.req("POST", "/api/v1/keys", { label: "ci" });
    expect(k.status).toBe(201);
    const ci = a.as(k.body.api_key);
    expect((await ci.req("GET", "/api/v1/incidents")).status).toBe(200);
    const listed = (await a.req("GET", "/api/v1/keys")).body.keys;
    expect(listed.find((x: { key_id: string }) => x.key_id === k.body.key_id)).toMatchObject({ label: "ci", prefix: k.body.api_key.slice(0, 14) });
    expect(JSON.stringify(listed)).not.toContain(k.body.api_key);
    await a.req("DELETE", `/api/v1/keys/${k.body.key_id}`);
    expect((await ci.req("GET", "/api/v1/incidents")).status).toBe(401);
  });
});
