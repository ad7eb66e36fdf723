import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Client } from "../support/embedded";

const ES = (n: number) => `Elasticsearch cluster health is RED: ${n} unassigned shards on es-data-${n}`;
const FIXES = [
  "restarted the es-data node and rerouted the unassigned shards",
  "rerouted unassigned shards after restarting the data node",
  "Restarted data node; rerouted shards",
];

/** The same problem resolved by hand again and again: each return is a regression of the last. */
async function fixByHand(api: Client, service: string, notes: string[], report: (i: number) => string) {
  const ids: string[] = [];
  for (const [i, note] of notes.entries()) {
    const r = await api.report(report(i + 1), service);
    expect(r.body.status).toBe(i === 0 ? "new" : "regression");
    ids.push(r.body.incident_id);
    expect((await api.req("POST", `/api/v1/incidents/${r.body.incident_id}/resolve`, { resolution: note, resolved_by: "sre@acme.io" })).status).toBe(200);
  }
  return ids;
}

describe("suggested runbooks: GET /api/v1/runbooks/suggestions, POST …/{id}/accept", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  let incidents: string[];
  beforeAll(async () => {
    srv = await startServer();
    api = (await srv.client.tenant("suggest")).client;
    incidents = await fixByHand(api, "search", FIXES, ES);
    // Twice is not yet a pattern.
    await fixByHand(api, "billing", ["re-ran the invoice job", "re-ran the invoice job"], () => "Invoice job failed: exit code 137");
  });
  afterAll(() => srv.stop());

  it("proposes a draft for a problem fixed by hand three times alike, and only that", async () => {
    const r = await api.req("GET", "/api/v1/runbooks/suggestions");
    expect(r.status).toBe(200);
    expect(r.body.suggestions).toHaveLength(1);
    const [s] = r.body.suggestions;
    expect(s).toMatchObject({ suggestion_id: expect.stringMatching(/^sug_/), service: "search", incident_ids: incidents, tags: ["search", "suggested"] });
    expect(s.title).toContain("Elasticsearch cluster health is RED");
    expect(s.content).toMatch(/## Symptoms\n\n- `Elasticsearch cluster health is RED: 1 unassigned shards on es-data-1`/);
    for (const fix of FIXES) expect(s.content).toContain(fix);
    // Deterministic: asking again names it the same.
    expect((await api.req("GET", "/api/v1/runbooks/suggestions")).body.suggestions[0].suggestion_id).toBe(s.suggestion_id);
  });

  it("is another tenant's business: not listed, not acceptable", async () => {
    const [s] = (await api.req("GET", "/api/v1/runbooks/suggestions")).body.suggestions;
    const other = (await srv.client.tenant("other")).client;
    expect((await other.req("GET", "/api/v1/runbooks/suggestions")).body).toEqual({ suggestions: [] });
    expect((await other.req("POST", `/api/v1/runbooks/suggestions/${s.suggestion_id}/accept`)).status).toBe(404);
  });

  it("accepting creates the runbook (edits allowed), which then ranks for the problem; the suggestion goes away", async () => {
    const [s] = (await api.req("GET", "/api/v1/runbooks/suggestions")).body.suggestions;
    const accepted = await api.req("POST", `/api/v1/runbooks/suggestions/${s.suggestion_id}/accept`, { title: "Elasticsearch RED: unassigned shards" });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toEqual({ runbook_id: expect.stringMatching(/^rb_/), suggestion_id: s.suggestion_id });

    const rb = await api.req("GET", `/api/v1/runbooks/${accepted.body.runbook_id}`);
    expect(rb.body).toMatchObject({ title: "Elasticsearch RED: unassigned shards", content: s.content, tags: ["search", "suggested"], created_by: "suggestion" });
    expect((await api.req("GET", "/api/v1/runbooks/suggestions")).body.suggestions).toEqual([]);
    expect((await api.req("POST", `/api/v1/runbooks/suggestions/${s.suggestion_id}/accept`)).status).toBe(404);

    const again = await api.report(ES(4), "search");
    expect(again.body.runbooks[0].runbook_id).toBe(accepted.body.runbook_id);
  });

  it("respects the plan's runbook limit", async () => {
    const t = (await srv.client.tenant("full", { plan: "free" })).client;
    await fixByHand(t, "search", FIXES, ES);
    const [s] = (await t.req("GET", "/api/v1/runbooks/suggestions")).body.suggestions;
    for (let i = 0; i < 5; i++) expect((await t.req("POST", "/api/v1/runbooks", { title: `Runbook ${i}`, content: "Do the thing." })).status).toBe(201);
    const r = await t.req("POST", `/api/v1/runbooks/suggestions/${s.suggestion_id}/accept`);
    expect(r).toMatchObject({ status: 402, body: { error: { code: "plan_limit" } } });
    expect((await t.req("GET", "/api/v1/runbooks/suggestions")).body.suggestions).toHaveLength(1);
  });

  it("refuses a bad edit with a 400 naming the field", async () => {
    const r = await api.req("POST", "/api/v1/runbooks/suggestions/sug_x/accept", { title: "" });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("title");
  });
});
