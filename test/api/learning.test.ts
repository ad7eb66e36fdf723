import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Client } from "../support/embedded";

/** Two runbooks for one problem, close enough that a few credited resolutions reorder them (the prior nudges, it never overrides). */
const RUNBOOKS = [
  { title: "Payment queue consumer stalled", content: "## Symptoms\n\n- payment queue consumer stalled, no messages processed\n\n## Resolution\n\nRestart the consumer pods of the payment queue." },
  { title: "Payment queue consumer stalled", content: "## Symptoms\n\n- payment queue consumer stalled, no messages processed\n\n## Resolution\n\nFind the poison message that blocks the queue, move it to the dead-letter queue, then let the consumer catch up." },
];
const ALARM = "Payment queue consumer stalled: no messages processed for 300 seconds";
const CREDITS = 3;

interface Ranked { runbook_id: string; similarity: number }
const simOf = (runbooks: Ranked[], id: string) => runbooks.find((r) => r.runbook_id === id)!.similarity;

describe("learning from resolutions through the API", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  beforeAll(async () => {
    srv = await startServer();
    api = (await srv.client.tenant("learning", { global_runbooks: false })).client;
    for (const rb of RUNBOOKS) expect((await api.req("POST", "/api/v1/runbooks", rb)).status).toBe(201);
  });
  afterAll(() => srv.stop());

  it("a runbook credited again and again rises above the one ranked first, which drops while it is passed over", async () => {
    const first = await api.report(ALARM, "payments");
    expect(first.body.status).toBe("new");
    const [top, other] = first.body.runbooks as Ranked[];
    expect(top.similarity).toBeGreaterThan(other.similarity);

    let incidentId: string = first.body.incident_id;
    let ranked: Ranked[] = first.body.runbooks;
    for (let round = 0; round < CREDITS; round++) {
      const res = await api.req("POST", `/api/v1/incidents/${incidentId}/resolve`, { resolution: "moved the poison message to the DLQ", resolved_by: "oncall@acme.io", runbook_id: other.runbook_id });
      expect(res.status).toBe(200);
      // The same problem again: a regression, ranked afresh with what was learned.
      const again = await api.report(ALARM, "payments");
      expect(again.body).toMatchObject({ status: "regression", regression_of: incidentId });
      const prev = ranked;
      ranked = again.body.runbooks;
      incidentId = again.body.incident_id;
      // Only the runbook ranked first is passed over; once second, it holds its score.
      if (prev[0].runbook_id === top.runbook_id) expect(simOf(ranked, top.runbook_id)).toBeLessThan(simOf(prev, top.runbook_id));
      else expect(simOf(ranked, top.runbook_id)).toBe(simOf(prev, top.runbook_id));
      expect(simOf(ranked, other.runbook_id)).toBeGreaterThan(simOf(prev, other.runbook_id));
    }
    expect(ranked.map((r) => r.runbook_id)).toEqual([other.runbook_id, top.runbook_id]);

    // The incident document keeps the learned order too.
    const doc = await api.req("GET", `/api/v1/incidents/${incidentId}`);
    expect(doc.body.recommended_runbooks[0].runbook_id).toBe(other.runbook_id);
    // The tenant's own runbook counts its successes on the document.
    const credited = await api.req("GET", `/api/v1/runbooks/${other.runbook_id}`);
    expect(credited.body.success_count).toBe(CREDITS);
  });

  it("shows how similar incidents were resolved: on the incident and in the outcome's recommendations", async () => {
    const opened = await api.report("Disk /var/lib/postgresql is 97% full on db-7", "orders-db");
    const resolved = await api.req("POST", `/api/v1/incidents/${opened.body.incident_id}/resolve`, { resolution: "vacuumed bloated tables and grew the volume to 500 GB", resolved_by: "dba@acme.io" });
    expect(resolved.status).toBe(200);

    const back = await api.report("Disk /var/lib/postgresql is 98% full on db-7", "orders-db");
    expect(back.body).toMatchObject({ status: "regression", regression_of: opened.body.incident_id });
    expect(back.body.recommendations).toContainEqual(expect.objectContaining({
      source: "past_resolution", incident_id: opened.body.incident_id, text: expect.stringContaining("vacuumed bloated tables"),
    }));
    const doc = await api.req("GET", `/api/v1/incidents/${back.body.incident_id}`);
    expect(doc.body.similar_resolutions[0]).toMatchObject({
      incident_id: opened.body.incident_id, resolution: "vacuumed bloated tables and grew the volume to 500 GB", resolved_by: "dba@acme.io",
      resolved_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), runbook_id: null,
    });
  });
});
