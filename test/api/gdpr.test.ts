import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hashKey } from "@ir/core";
import { startServer, type Client } from "../support/embedded";

/** Every file in the data dir, whole: the database, its WAL and the WAL index, whatever else SQLite left. */
const dataDirBytes = (dir: string) => Buffer.concat(readdirSync(dir).map((f) => join(dir, f)).filter(existsSync).map((f) => readFileSync(f)));

/**
 * What the test puts into each tenant's data: each marker must be absent from disk for the erased tenant,
 * and findable for the kept one (except `metadata`, which lives only in the queued alarms and is gone once they are decided).
 */
const markers = (tag: string) => ({
  error: `ERR${tag}-disk-controller-fault`,
  service: `svc${tag}`,
  comment: `COMMENT${tag}-investigating`,
  runbookTitle: `TITLE${tag}-reseat-controller`,
  runbookBody: `BODY${tag}-steps-to-reseat`,
  label: `LABEL${tag}-ci`,
  idempotency: `IDEM${tag}-key`,
  alert: `ALERT${tag}-replication-lag`,
  metadata: `META${tag}-rack-17`,
  hook: `HOOK${tag}-path`,
  routing: `ROUTING${tag}0123456789`,
  pending: `PENDING${tag}-never-decided`,
});

const persisted = (tag: string) => Object.entries(markers(tag)).filter(([k]) => k !== "metadata").map(([, v]) => v);

async function populate(api: Client, tag: string) {
  const m = markers(tag);
  const r = await api.report(`${m.error} on controller 3`, m.service, { metadata: { rack: m.metadata } }, "?wait=10", { "idempotency-key": m.idempotency });
  expect(r.body.status).toBe("new");
  await api.report(`${m.error} on controller 4`, m.service);
  expect((await api.req("POST", `/api/v1/incidents/${r.body.incident_id}/comments`, { user: `oncall@${tag}.io`, comment: m.comment })).status).toBe(201);
  const rb = await api.req("POST", "/api/v1/runbooks", { title: m.runbookTitle, content: `## Resolution\n${m.runbookBody}`, tags: [tag.toLowerCase()] });
  expect(rb.status).toBe(201);
  expect((await api.req("POST", `/api/v1/incidents/${r.body.incident_id}/resolve`, { resolution: `fixed by ${tag}`, resolved_by: `sre@${tag}.io`, runbook_id: rb.body.runbook_id })).status).toBe(200);
  const key = await api.req("POST", "/api/v1/keys", { label: m.label });
  expect(key.status).toBe(201);
  const am = await api.req("POST", "/api/v1/ingest/alertmanager", {
    version: "4", status: "firing", receiver: "ir", groupKey: "{}", truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am",
    alerts: [{ status: "firing", labels: { alertname: m.alert, service: m.service }, annotations: { summary: `${m.alert} above threshold` }, startsAt: "2031-01-01T00:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: `${tag}-fp` }],
  });
  expect(am.status).toBe(202);
  // Channels that cannot be reached (port 9 refuses): their sends sit in the queue, retrying, when the erase comes.
  const put = await api.req("PUT", "/api/v1/notifications", { channels: [{ type: "webhook", url: `http://127.0.0.1:9/${m.hook}` }, { type: "pagerduty", routing_key: m.routing }] });
  expect(put.status).toBe(200);
  await api.report(`${m.error} on controller 9 again`, `${m.service}-2`, { severity: "CRITICAL" });
  return { incident: r.body.incident_id as string, alarm: r.body.alarm_id as string, runbook: rb.body.runbook_id as string, key: key.body.api_key as string, keyId: key.body.key_id as string };
}

describe("GDPR erase: DELETE /api/v1/tenant leaves nothing of the tenant readable on disk", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let gone: { tenant_id: string; api_key: string; client: Client };
  let kept: { tenant_id: string; api_key: string; client: Client };
  let goneIds: Awaited<ReturnType<typeof populate>>;
  let closed = false;

  beforeAll(async () => {
    srv = await startServer();
    gone = await srv.client.tenant("GoneCorp", { plan: "professional" });
    kept = await srv.client.tenant("KeptCorp", { plan: "professional" });
    goneIds = await populate(gone.client, "GONEAAA");
    await populate(kept.client, "KEPTBBB");
    await srv.pump.idle();
    // Pending work: the pipeline is paused, so these are accepted (202) and still queued when the erase runs.
    srv.pump.stop();
    for (const [api, tag] of [[gone.client, "GONEAAA"], [kept.client, "KEPTBBB"]] as const) {
      expect((await api.report(markers(tag).pending, "pending-svc", { metadata: { rack: markers(tag).metadata } }, "")).status).toBe(202);
    }
    expect(Object.values(srv.queue.depth()).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
  });
  afterAll(async () => {
    if (!closed) await srv.close();
    rmSync(srv.dataDir, { recursive: true, force: true });
  });

  const needles = () => {
    const strings = [
      ...Object.values(markers("GONEAAA")), gone.tenant_id, gone.api_key, hashKey(gone.api_key), goneIds.incident, goneIds.alarm, goneIds.runbook,
      goneIds.key, hashKey(goneIds.key), goneIds.keyId, "GoneCorp",
    ];
    return strings;
  };

  it("holds both tenants' data on disk before the erase (the scan looks in the right place)", () => {
    const bytes = dataDirBytes(srv.dataDir);
    for (const s of [...Object.values(markers("KEPTBBB")), kept.tenant_id, "KeptCorp"]) expect(bytes.includes(s), s).toBe(true);
    for (const s of [...Object.values(markers("GONEAAA")), gone.tenant_id, goneIds.incident]) expect(bytes.includes(s), s).toBe(true);
  });

  it("erases the calling tenant: its keys stop working and its objects answer 404 to anyone", async () => {
    const queuedBefore = Object.values(srv.queue.depth()).reduce((a, b) => a + b, 0);
    const r = await gone.client.req("DELETE", "/api/v1/tenant");
    expect(r).toMatchObject({ status: 200, body: { status: "deleted", tenant_id: gone.tenant_id } });
    expect((await gone.client.req("GET", "/api/v1/incidents")).status).toBe(401);
    expect((await gone.client.as(goneIds.key).req("GET", "/api/v1/incidents")).status).toBe(401);
    expect((await kept.client.req("GET", `/api/v1/incidents/${goneIds.incident}`)).status).toBe(404);
    expect((await kept.client.req("GET", "/api/v1/incidents")).body.incidents.length).toBeGreaterThan(0);
    // Its queued work went with it; the other tenant's is still there. The pump is stopped, so only the erase moves these.
    const queued = Object.values(srv.queue.depth()).reduce((a, b) => a + b, 0);
    expect(queued).toBeLessThan(queuedBefore);
    expect(queued).toBeGreaterThanOrEqual(1);
  });

  it("leaves none of its bytes in ir.db, the WAL or the WAL index while the server runs", () => {
    const bytes = dataDirBytes(srv.dataDir);
    for (const s of needles()) expect(bytes.includes(s), `${s} is still on disk`).toBe(false);
    for (const s of [...persisted("KEPTBBB"), kept.tenant_id, "KeptCorp"]) expect(bytes.includes(s), s).toBe(true);
  });

  it("nor after the server stops", async () => {
    await srv.close();
    closed = true;
    const bytes = dataDirBytes(srv.dataDir);
    for (const s of needles()) expect(bytes.includes(s), `${s} is still on disk`).toBe(false);
    for (const s of [...persisted("KEPTBBB"), kept.tenant_id]) expect(bytes.includes(s), s).toBe(true);
  });
});
