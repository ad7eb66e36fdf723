import { describe, expect, it } from "vitest";
import { suggestRunbooks, type ResolvedIncident } from "../src/suggest";

let n = 0;
const resolved = (over: Partial<ResolvedIncident> & Pick<ResolvedIncident, "resolution">): ResolvedIncident => {
  n++;
  const day = new Date(Date.UTC(2025, 2, n)).toISOString().slice(0, 10);
  return {
    incident_id: `inc_${String(n).padStart(2, "0")}`, service: "search", status: "RESOLVED",
    template: "Elasticsearch cluster health is RED: <num> unassigned shards on <host>",
    error_message: `Elasticsearch cluster health is RED: ${n} unassigned shards on es-data-${n}`,
    created_at: `${day}T10:00:00.000Z`, resolved_at: `${day}T11:00:00.000Z`, resolved_by: "sre@acme.io",
    resolved_runbook_id: null, regression_of: null,
    ...over,
  };
};

describe("suggestRunbooks", () => {
  it("drafts a runbook from three fixes of one problem written alike", () => {
    // prepare
    const group = [
      resolved({ resolution: "restarted the es-data node and rerouted the unassigned shards" }),
      resolved({ resolution: "rerouted unassigned shards after restarting the data node" }),
      resolved({ resolution: "Restarted data node; rerouted shards" }),
    ];
    // act
    const [s, ...rest] = suggestRunbooks(group);
    // assess
    expect(rest).toEqual([]);
    expect(s.incident_ids).toEqual(group.map((g) => g.incident_id));
    expect(s.title).toBe("search: Elasticsearch cluster health is RED: 1 unassigned shards on es-data-1");
    expect(s.content).toContain("## Symptoms");
    expect(s.content).toContain("`Elasticsearch cluster health is RED: 1 unassigned shards on es-data-1`");
    expect(s.content).toMatch(/## Resolution\n\n- Restarted data node; rerouted shards \(sre@acme.io, 2025-03-03, inc_03\)/);
    expect(s.tags).toEqual(["search", "suggested"]);
    expect(s.suggestion_id).toMatch(/^sug_[0-9a-f]{16}$/);
  });

  it("cuts a long title between characters, never inside an emoji", () => {
    // After "search: ", the emoji takes the title's 119th and 120th code units: the cut for the ellipsis falls inside it.
    const error = `${"x".repeat(110)}🔥 Elasticsearch cluster health is RED`;
    const group = [1, 2, 3].map(() => resolved({ error_message: error, resolution: "restarted the data node and rerouted the shards" }));
    const [s] = suggestRunbooks(group);
    expect(s.title.length).toBeLessThanOrEqual(120);
    expect(s.title).toMatch(/…$/);
    expect(s.title).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it("keeps its id as the group grows, and is the same for the same input", () => {
    const group = [1, 2, 3].map(() => resolved({ resolution: "rerouted unassigned shards" }));
    const id = suggestRunbooks(group)[0].suggestion_id;
    expect(suggestRunbooks([...group].reverse())[0].suggestion_id).toBe(id);
    expect(suggestRunbooks([...group, resolved({ resolution: "rerouted the unassigned shards again" })])[0]).toMatchObject({ suggestion_id: id, incident_ids: expect.arrayContaining(group.map((g) => g.incident_id)) });
  });

  describe.each([
    ["only two fixes", () => [resolved({ resolution: "rerouted shards" }), resolved({ resolution: "rerouted shards" })]],
    ["different fixes", () => [resolved({ resolution: "rerouted shards" }), resolved({ resolution: "added a data node" }), resolved({ resolution: "deleted old indices to free disk" })]],
    ["a runbook was credited", () => [1, 2, 3].map((i) => resolved({ resolution: "rerouted shards", resolved_runbook_id: i === 2 ? "rb_1" : null }))],
    ["different services", () => ["a", "b", "c"].map((service) => resolved({ resolution: "rerouted shards", service }))],
    ["different problems", () => ["Disk full on <path>", "Certificate for <host> expires in <num> days", "Connection refused to <host>"].map((template) => resolved({ resolution: "restarted it", template }))],
    ["still open", () => [1, 2, 3].map(() => resolved({ resolution: "rerouted shards", status: "OPEN" }))],
  ])("no suggestion: %s", (_name, make) => {
    it("suggests nothing", () => expect(suggestRunbooks(make())).toEqual([]));
  });

  it("a regression joins the problem it came back from, whatever its template grew into", () => {
    const a = resolved({ resolution: "rerouted shards" });
    const b = resolved({ resolution: "rerouted shards", regression_of: a.incident_id, template: "totally different words here" });
    const c = resolved({ resolution: "rerouted the shards", regression_of: b.incident_id, template: "and different again" });
    expect(suggestRunbooks([a, b, c])[0].incident_ids).toEqual([a.incident_id, b.incident_id, c.incident_id]);
  });

  it("leaves out incidents an accepted suggestion already covered", () => {
    const group = [1, 2, 3].map(() => resolved({ resolution: "rerouted shards" }));
    expect(suggestRunbooks(group, new Set([group[0].incident_id]))).toEqual([]);
  });
});
