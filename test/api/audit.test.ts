import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Client, type Res } from "../support/embedded";

interface AuditEvent { event_id: string; tenant_id: string; at: string; actor: string; action: string; target: string; details?: Record<string, unknown> }

/** Every page of the trail, following next_cursor until it is null. */
async function walk(api: Client, limit: number): Promise<{ events: AuditEvent[]; pages: number }> {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r: Res = await api.req("GET", `/api/v1/audit?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(r.status).toBe(200);
    expect(r.body.events.length).toBeLessThanOrEqual(limit);
    events.push(...r.body.events);
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor);
  return { events, pages };
}

describe("audit trail: every state change, per tenant, append-only through the API", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client, other: Client;
  let tenantId: string;

  beforeAll(async () => {
    srv = await startServer();
    const t = await srv.client.tenant("audited", { plan: "professional" });
    api = t.client;
    tenantId = t.tenant_id;
    other = (await srv.client.tenant("neighbour")).client;

    const first = await api.report("Task timed out after 30.03 seconds", "payments");
    await api.report("Task timed out after 29.1 seconds", "payments");
    await api.report("Task timed out after 28.4 seconds", "payments", { severity: "CRITICAL" });
    await api.req("POST", `/api/v1/incidents/${first.body.incident_id}/comments`, { user: "jo@acme.io", comment: "looking" });
    await api.req("POST", `/api/v1/incidents/${first.body.incident_id}/resolve`, { resolution: "raised timeout", resolved_by: "jo@acme.io" });
    const again = await api.report("Task timed out after 31.7 seconds", "payments");
    expect(again.body.status).toBe("regression");
    const rb = await api.req("POST", "/api/v1/runbooks", { title: "Timeouts", content: "raise it" });
    await api.req("PUT", `/api/v1/runbooks/${rb.body.runbook_id}`, { title: "Timeouts v2", content: "raise it more" });
    await api.req("DELETE", `/api/v1/runbooks/${rb.body.runbook_id}`);
    await api.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: "http://127.0.0.1:9/hook" }] });
    const key = await api.req("POST", "/api/v1/keys", { label: "ci" });
    const rotated = await api.req("POST", `/api/v1/keys/${key.body.key_id}/rotate`, { overlap_seconds: 0 });
    await api.req("DELETE", `/api/v1/keys/${rotated.body.key_id}`);
    await srv.pump.idle();
  });
  afterAll(() => srv.stop());

  it("pages through the whole trail newest first, and it holds every kind of change", async () => {
    const { events, pages } = await walk(api, 3);
    const all = (await api.req("GET", "/api/v1/audit?limit=1000")).body.events as AuditEvent[];
    expect(events).toEqual(all);
    expect(pages).toBe(Math.max(1, Math.ceil(all.length / 3)));
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    expect(events.every((e) => e.tenant_id === tenantId)).toBe(true);
    const times = events.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);

    const actions = events.map((e) => e.action);
    for (const a of [
      "tenant.created", "incident.opened", "incident.escalated", "incident.commented", "incident.resolved", "incident.regressed",
      "runbook.created", "runbook.updated", "runbook.deleted", "settings.notifications_updated", "key.created", "key.rotated", "key.revoked",
    ]) expect(actions, a).toContain(a);
    expect(events.find((e) => e.action === "incident.commented")).toMatchObject({ actor: "jo@acme.io" });
    // A plain duplicate changes a counter, not the incident: it is in occurrences and history, not in the trail.
    expect(actions).not.toContain("incident.recurred");
    expect(actions.filter((a) => a === "incident.escalated")).toHaveLength(1);
    // The trail records which channels changed, never the URLs or keys in them.
    expect(JSON.stringify(events)).not.toContain("127.0.0.1:9/hook");
  });

  it("is the tenant's own: a neighbour sees none of it", async () => {
    const mine = new Set((await walk(api, 100)).events.map((e) => e.event_id));
    const theirs = (await walk(other, 100)).events;
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.some((e) => mine.has(e.event_id) || e.tenant_id === tenantId)).toBe(false);
  });

  it("cannot be rewritten through the API: no route changes or deletes an entry", async () => {
    const before = (await walk(api, 1000)).events;
    const id = before[0].event_id;
    const paths = ["/api/v1/audit", `/api/v1/audit/${id}`, `/api/v1/audit/${encodeURIComponent(id)}/`, "/api/v1/audit/", "/api/v1//audit", "/api/v1/audit/../audit"];
    const tried: Array<[string, string, number]> = [];
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      for (const path of paths) {
        const r = await api.req(method, path, { event_id: id, action: "forged", at: "2000-01-01T00:00:00Z", tenant_id: tenantId });
        tried.push([method, path, r.status]);
      }
    }
    expect(tried.filter(([, , status]) => status !== 404 && status !== 405)).toEqual([]);
    expect((await api.req("GET", `/api/v1/audit/${id}`)).status).toBe(404);
    const doc = (await srv.client.req("GET", "/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const auditPaths = Object.entries(doc.paths).filter(([p]) => p.includes("audit"));
    expect(auditPaths.map(([p, ops]) => [p, Object.keys(ops)])).toEqual([["/api/v1/audit", ["get"]]]);

    const after = (await walk(api, 1000)).events;
    expect(after).toEqual(before);
  });

  it("refuses a cursor no listing returned with 400 naming it, and never leaks another tenant's page", async () => {
    const theirs = (await walk(other, 1000)).events.map((e) => e.event_id);
    for (const cursor of ["x", "W10", "%00"]) {
      const r = await api.req("GET", `/api/v1/audit?cursor=${encodeURIComponent(cursor)}`);
      expect(r.status, cursor).toBe(400);
      expect(r.body.error.message).toMatch(/^cursor: /);
    }
    const forged = (key: unknown[]) => api.req("GET", `/api/v1/audit?limit=1000&cursor=${Buffer.from(JSON.stringify(key)).toString("base64url")}`);
    // A cursor past every row of every tenant: the page must still be this tenant's whole trail, and only it.
    const past = await forged([99999999]);
    expect(past.status).toBe(200);
    const ids = (past.body.events as AuditEvent[]).map((e) => e.event_id);
    expect(ids).toEqual((await walk(api, 1000)).events.map((e) => e.event_id));
    // The neighbour's rows sit inside that range (it was created between this tenant's first event and the rest).
    expect(theirs.length).toBeGreaterThan(0);
    expect(ids.filter((id) => theirs.includes(id))).toEqual([]);
    // Read as SQL, this cursor would match every tenant's rows; as a value it matches none (or is refused).
    const injected = await forged(["1 OR 1=1"]);
    expect([200, 400]).toContain(injected.status);
    if (injected.status === 200) expect(injected.body.events).toEqual([]);
  });
});
