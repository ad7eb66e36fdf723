import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Client } from "../support/embedded";
import { until } from "../support/until";

/**
 * Alertmanager sends a group's alerts together, and dedup folds alerts that differ only by host into one
 * incident. One of them resolving must not close the incident while the others still fire: the next
 * notification of the group (which repeats every firing alert) would then open a regression and page.
 */
describe("an incident fed by several alerts of one Alertmanager group", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  beforeAll(async () => {
    srv = await startServer();
    api = (await srv.client.tenant("grouped", { plan: "enterprise" })).client;
  });
  afterAll(() => srv.stop());

  const alert = (fp: string, host: string, status: "firing" | "resolved") => ({
    status, fingerprint: fp, labels: { alertname: "HighCPU", service: "api-gw", instance: `${host}:9100` },
    annotations: { summary: `CPU above 90% on ${host}:9100` }, startsAt: "2031-03-01T10:00:00Z",
    endsAt: status === "resolved" ? "2031-03-01T10:20:00Z" : "0001-01-01T00:00:00Z", generatorURL: "",
  });
  const webhook = (...alerts: ReturnType<typeof alert>[]) => api.req("POST", "/api/v1/ingest/alertmanager", {
    version: "4", status: alerts.some((a) => a.status === "firing") ? "firing" : "resolved", receiver: "ir", groupKey: "{}:{alertname=\"HighCPU\"}",
    truncatedAlerts: 0, groupLabels: { alertname: "HighCPU" }, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am", alerts,
  });
  const incidents = async () => (await api.req("GET", "/api/v1/incidents?service=api-gw")).body.incidents as Array<{ incident_id: string; status: string; regression_of: string | null }>;
  const settled = () => srv.pump.idle();

  it("stays open until the last of them resolves, and opens no regression meanwhile", async () => {
    expect((await webhook(alert("fpA", "10.0.0.1", "firing"), alert("fpB", "10.0.0.2", "firing"))).status).toBe(202);
    await settled();
    const [one, ...rest] = await incidents();
    expect(rest).toHaveLength(0);

    expect((await webhook(alert("fpA", "10.0.0.1", "resolved"), alert("fpB", "10.0.0.2", "firing"))).status).toBe(202);
    await settled();
    expect(await incidents()).toEqual([expect.objectContaining({ incident_id: one.incident_id, status: "OPEN", regression_of: null })]);

    expect((await webhook(alert("fpA", "10.0.0.1", "resolved"), alert("fpB", "10.0.0.2", "resolved"))).status).toBe(202);
    const resolved = await until(async () => { const [i] = await incidents(); return i?.status === "RESOLVED" ? i : null; });
    expect(resolved.incident_id).toBe(one.incident_id);
    expect(await incidents()).toHaveLength(1);
  });

  it("with 25 alerts folded in, stays open while any of them fires; past the 100 it tracks, it waits for a person", async () => {
    const group = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `10.1.${Math.floor((from + i) / 250)}.${(from + i) % 250}`);
    const hosts = group(25);
    const fire = (hs: string[]) => webhook(...hs.map((h) => alert(`fp-${h}`, h, "firing")));
    const resolve = (hs: string[]) => webhook(...hs.map((h) => alert(`fp-${h}`, h, "resolved")));
    const before = new Set((await incidents()).map((i) => i.incident_id));
    const fresh = async () => (await incidents()).filter((i) => !before.has(i.incident_id));

    await fire(hosts);
    await settled();
    const [one] = await fresh();
    await resolve(hosts.slice(5));
    await settled();
    expect(await fresh()).toEqual([expect.objectContaining({ incident_id: one.incident_id, status: "OPEN" })]);
    await resolve(hosts.slice(0, 5));
    await until(async () => (await fresh())[0]?.status === "RESOLVED" || null);

    // A regression of it, fed by more alerts than it tracks: all those it tracks resolving does not close it.
    const many = group(105, 25);
    await fire(many);
    await settled();
    const regression = (await fresh()).find((i) => i.status === "OPEN")!;
    expect(regression.regression_of).toBe(one.incident_id);
    await resolve(many);
    await settled();
    expect((await api.req("GET", `/api/v1/incidents/${regression.incident_id}`)).body).toMatchObject({ status: "OPEN", source_keys_overflowed: true });
  });
});
