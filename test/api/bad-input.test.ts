import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Client } from "../support/embedded";

describe("bad input gets a clear 4xx and the server stays up", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  beforeAll(async () => {
    srv = await startServer();
    api = (await srv.client.tenant("bad")).client;
  });
  afterAll(() => srv.stop());

  it.each([
    ["empty body", "", 400, /JSON/],
    ["not JSON", "{nope", 400, /JSON/],
    ["JSON array", "[]", 400, /body/],
    ["JSON null", "null", 400, /body/],
    ["missing service", { error: "x" }, 400, /service/],
    ["missing error", { service: "x" }, 400, /error/],
    ["error not a string", { error: 5, service: "x" }, 400, /error/],
    ["blank error", { error: "   ", service: "x" }, 400, /error/],
    ["unknown severity", { error: "x", service: "x", severity: "URGENT" }, 400, /severity/],
    ["bad occurred_at", { error: "x", service: "x", occurred_at: "yesterday" }, 400, /occurred_at/],
    ["metadata not an object", { error: "x", service: "x", metadata: [1] }, 400, /metadata/],
    ["prototype pollution", '{"error":"x","service":"y","__proto__":{"admin":true}}', 202, null],
    ["service too long", { error: "x", service: "s".repeat(201) }, 400, /service/],
    ["control character in service", { error: "x", service: "pay\u0000ments" }, 400, /service: must not contain control characters/],
  ])("POST /api/v1/incidents with %s", async (_, body, status, message) => {
    const r = await api.req("POST", "/api/v1/incidents", body);
    expect(r.status).toBe(status);
    if (message) expect(r.body.error.message).toMatch(message);
  });

  it.each([
    ["?wait above 30", "/api/v1/incidents?wait=31", /wait/],
    ["?wait not a number", "/api/v1/incidents?wait=abc", /wait/],
  ])("%s is refused", async (_, path, message) => {
    const r = await api.req("POST", path, { error: "x", service: "y" });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(message);
  });

  it("413 over 256 KB", async () => {
    const r = await api.req("POST", "/api/v1/incidents", { error: "x".repeat(300 * 1024), service: "y" });
    expect(r.status).toBe(413);
  });

  it.each([
    ["GET", "/api/v1/nope", 404],
    ["DELETE", "/api/v1/incidents", 405],
    ["GET", "/api/v1/incidents/%E0%A4%A", 404],
    ["GET", "/api/v1/incidents?limit=100000", 400],
    ["GET", "/api/v1/incidents?status=MAYBE", 400],
    ["GET", "/api/v1/analytics?from=never", 400],
    // The last day of year 9999 has no next day to name: it looped for ever, filling memory.
    ["GET", "/api/v1/analytics?from=9999-12-31&to=9999-12-31", 400],
    ["POST", "/api/v1/ingest/alertmanager", 400],
    ["POST", "/api/v1/ingest/cloudwatch", 400],
    ["PUT", "/api/v1/notifications", 400],
  ])("%s %s → %i", async (method, path, status) => {
    const r = await api.req(method, path, method === "GET" || method === "DELETE" ? undefined : { version: "3", channels: [{ type: "fax" }] });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toEqual(expect.any(String));
  });

  it("answers analytics for the last days it accepts", async () => {
    const r = await api.req("GET", "/api/v1/analytics?from=9999-12-29&to=9999-12-30");
    expect(r.status).toBe(200);
    expect(r.body.trend.daily.map((d: { day: string }) => d.day)).toEqual(["9999-12-29", "9999-12-30"]);
  });

  it("an alert whose service label holds a NUL is decided, and the alarms committed with it too", async () => {
    const other = (await srv.client.tenant("bystander")).client;
    const webhook = api.req("POST", "/api/v1/ingest/alertmanager", {
      version: "4", status: "firing", receiver: "ir", groupKey: "{}", truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "",
      alerts: [{ status: "firing", labels: { alertname: "Odd", service: "a\u0000b" }, annotations: { summary: "odd service name" }, startsAt: "2031-01-01T00:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "nul-1" }],
    });
    // Reported alongside, so that they share its group commit.
    const bystanders = Array.from({ length: 8 }, (_, i) => other.report(`Replica ${i} lagging behind primary`, "db"));
    expect((await webhook).status).toBe(202);
    for (const r of await Promise.all(bystanders)) expect(r.status).toBe(200);
    await srv.pump.idle();
    const [incident] = (await api.req("GET", "/api/v1/incidents?limit=500")).body.incidents.filter((i: { error_message: string }) => i.error_message.includes("odd service name"));
    expect(incident).toMatchObject({ service: "a\u0000b", status: "OPEN" });
  });

  it("refuses an alarm too heavy to travel the pipeline with 413, and only that alert of a webhook", async () => {
    // Under the 256 KB body limit, over what an event may carry through every stage (EventBridge: 256 KB an event).
    const metadata = { blob: "x".repeat(120_000) };
    const r = await api.req("POST", "/api/v1/incidents", { error: "disk full", service: "heavy", metadata });
    expect(r.status).toBe(413);
    expect(r.body.error.message).toContain("the alarm as recorded");

    const alert = (fingerprint: string, summary: string) => ({ status: "firing", labels: { alertname: "Heavy", service: "heavy" }, annotations: { summary }, startsAt: "2031-01-01T00:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint });
    const webhook = await api.req("POST", "/api/v1/ingest/alertmanager", {
      version: "4", status: "firing", receiver: "ir", groupKey: "{}", truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "",
      alerts: [alert("light-1", "queue backlog growing"), { ...alert("heavy-1", "queue backlog growing"), annotations: { summary: "queue backlog growing", description: "y".repeat(120_000) } }],
    });
    expect(webhook.status).toBe(202);
    expect(webhook.body.alarms).toHaveLength(1);
    expect(webhook.body.recorded).toEqual([expect.stringContaining("exceeds")]);
  });

  it("is still serving after all of the above", async () => {
    const r = await api.report("still alive?", "health");
    expect(r.status).toBe(200);
  });
});
