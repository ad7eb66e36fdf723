import { GetObjectCommand, GetObjectTaggingCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { HELD_OPEN_MAX_DAYS, hashKey, tenantNamespace, type Alarm, type ApiKey, type Incident, type Plan, type Tenant } from "@ir/core";
import { notifyStateKey } from "@ir/notify";
import { loadConfig } from "../src/config";
import { retentionLambda } from "../src/lambda/retention-lambda";
import { createAwsPorts, type AwsPorts } from "../src/ports";
import { TenantPurge } from "../src/retention/tenant-purge";
import { retentionTagging } from "../src/retention-tiers";
import { pk, sk, TTL_GRACE_DAYS, ttlDay } from "../src/table";
import { DIMENSIONS, startEnvironment, type Environment } from "./support/environment";
import { incident } from "./support/factories";
import { startS3TaggingProxy } from "./support/s3-tagging";

const DAY_MS = 86_400_000;
const DAY_S = 86_400;

let env: Environment;
let tagging: Awaited<ReturnType<typeof startS3TaggingProxy>>;
let ports: AwsPorts;

beforeAll(async () => {
  env = await startEnvironment();
  // fauxqs has no object tags; the proxy in front of it keeps them, so GetObjectTagging can be asserted.
  tagging = await startS3TaggingProxy(env.emulators.s3Endpoint);
  process.env.AWS_ENDPOINT_URL_S3 = tagging.url;
  ports = createAwsPorts(loadConfig());
});
afterAll(async () => {
  await tagging?.close();
  await env?.stop();
});

const iso = (ms: number) => new Date(ms).toISOString();
/** An id as `newId` mints it at `ms` (the purge finds old ones by that time prefix). */
const idAt = (prefix: string, ms: number, suffix: string) => `${prefix}_${ms.toString(36).padStart(9, "0")}${suffix.padEnd(10, "0").slice(0, 10)}`;
const epochS = (isoTime: string) => Math.floor(Date.parse(isoTime) / 1000);

const tenant = (id: string, plan: Plan, retention_days?: number): Tenant => ({
  tenant_id: id, name: `Tenant ${id}`, plan, created_at: iso(Date.now()),
  settings: {
    global_runbooks: true, notifications: { channels: [] }, webhook_secret: "s".repeat(32), auto_resolve: true,
    default_severity: "MEDIUM", cloudwatch_service_from: ["tag"], aws_account_ids: [], ...(retention_days ? { retention_days } : {}),
  },
});
const key = (tenantId: string): ApiKey => ({
  key_id: `key_${tenantId}`, tenant_id: tenantId, label: "default", prefix: "ir_live_", hash: hashKey(`secret-${tenantId}`),
  created_at: iso(Date.now()), last_used_at: null, expires_at: null,
});
const alarm = (tenantId: string, id: string, at: string): Alarm => ({
  alarm_id: id, tenant_id: tenantId, source: "http", error: "boom", service: "payments", severity: "HIGH", metadata: {}, occurred_at: at, received_at: at,
});
const vector = (seed: number) => Float32Array.from({ length: DIMENSIONS }, (_, i) => Math.sin(seed + i));

/** An incident as the match stage leaves it: the head, document, fingerprint and source-key pointers, and its vector. */
async function openIncident(inc: Incident) {
  await ports.incidents.scoped().put(inc);
  for (const k of inc.source_keys) await ports.incidents.indexSourceKey(inc.tenant_id, k, inc.incident_id);
  await ports.vectors.upsert(tenantNamespace(inc.tenant_id), [{
    id: inc.incident_id, vector: vector(inc.incident_id.length + inc.occurrences),
    metadata: { type: "incident", incident_id: inc.incident_id, service: inc.service, status: inc.status },
  }]);
}

const tagsOf = async (s3Key: string) =>
  (await (await ports.clients.s3.use()).client.send(new GetObjectTaggingCommand({ Bucket: env.emulators.bucket, Key: s3Key }))).TagSet ?? [];
const docExists = async (s3Key: string) => {
  try {
    await (await ports.clients.s3.use()).client.send(new GetObjectCommand({ Bucket: env.emulators.bucket, Key: s3Key }));
    return true;
  } catch (err) {
    if ((err as Error).name === "NoSuchKey") return false;
    throw err;
  }
};
const item = (tenantId: string, sortKey: string) => ports.table.get({ pk: pk.tenant(tenantId), sk: sortKey });
const docKey = (tenantId: string, id: string) => `tenant_${tenantId}/incidents/${id}.json`;

describe("retention tags and expiry on what is written", () => {
  it("tags a free tenant's incident retention=7d and gives its DynamoDB items expires_at from last activity", async () => {
    await ports.tenants.create(tenant("t_free_w", "free"), key("t_free_w"));
    const now = Date.now();
    const id = idAt("inc", now, "write");
    // Too many alerts folded in for sources to resolve it: it ages from its last occurrence like any OPEN incident.
    await openIncident(incident("t_free_w", id, { created_at: iso(now), last_seen: iso(now), source_keys: ["cw:alarm-a"], source_keys_overflowed: true }));

    expect(await tagsOf(docKey("t_free_w", id))).toEqual([{ Key: "retention", Value: "7d" }]);
    const head = await item("t_free_w", sk.incident(id));
    const expected = epochS(iso(now)) + (7 + TTL_GRACE_DAYS) * DAY_S;
    expect(head?.expires_at).toBe(expected);
    expect((await item("t_free_w", sk.fingerprint("payments", `fp-${id}`)))?.expires_at).toBe(ttlDay(expected));
    expect((await item("t_free_w", sk.sourceKey("cw:alarm-a")))?.expires_at).toBe(ttlDay(expected));

    const received = iso(now);
    await ports.alarms.accept(alarm("t_free_w", idAt("alm", now, "write"), received), undefined);
    expect((await item("t_free_w", sk.alarm(idAt("alm", now, "write"))))?.expires_at).toBe(epochS(received) + 7 * DAY_S);
    await ports.audit.append({ event_id: "aud_w", tenant_id: "t_free_w", at: received, actor: "system", action: "incident.opened", target: id });
    expect((await item("t_free_w", sk.audit(received, "aud_w")))?.expires_at).toBe(epochS(received) + 7 * DAY_S);
  });

  it("never tags runbooks: they are configuration, not incident data", async () => {
    await ports.runbooks.put({
      runbook_id: "rb_keep", tenant_id: "t_free_w", title: "Restart", content: "restart it", tags: [], created_at: iso(Date.now()),
      updated_at: iso(Date.now()), success_count: 0, failure_count: 0, created_by: "api",
    });
    expect(await tagsOf("tenant_t_free_w/runbooks/rb_keep.json")).toEqual([]);
  });

  it("rounds a retention up to the next lifecycle tier (enterprise custom days)", async () => {
    expect([7, 30, 90, 120, 365, 400, 731, 3650].map(retentionTagging)).toEqual([
      "retention=7d", "retention=30d", "retention=90d", "retention=180d", "retention=365d", "retention=730d", "retention=3650d", "retention=3650d",
    ]);
    expect(retentionTagging(3651)).toBeUndefined();

    await ports.tenants.create(tenant("t_ent_w", "enterprise", 400), key("t_ent_w"));
    const id = idAt("inc", Date.now(), "ent");
    await ports.incidents.scoped().put(incident("t_ent_w", id));
    expect(await tagsOf(docKey("t_ent_w", id))).toEqual([{ Key: "retention", Value: "730d" }]);
  });

  it("moves a recurring OPEN incident's expiry forward, with its fingerprint and source-key pointers", async () => {
    await ports.tenants.create(tenant("t_recur", "free"), key("t_recur"));
    const opened = Date.now() - 5 * DAY_MS;
    const id = idAt("inc", opened, "recur");
    await openIncident(incident("t_recur", id, { created_at: iso(opened), last_seen: iso(opened), source_keys: ["am:recur"], source_keys_overflowed: true }));
    const before = (await item("t_recur", sk.incident(id)))?.expires_at as number;

    const view = ports.incidents.scoped();
    const current = (await view.get("t_recur", id))!;
    const recurred = iso(opened + 4 * DAY_MS);
    await view.put({ ...current, occurrences: current.occurrences + 1, last_seen: recurred });

    const after = (await item("t_recur", sk.incident(id)))?.expires_at as number;
    expect(after).toBe(before + 4 * DAY_S);
    expect((await item("t_recur", sk.fingerprint("payments", `fp-${id}`)))?.expires_at).toBe(ttlDay(after));
    expect((await item("t_recur", sk.sourceKey("am:recur")))?.expires_at).toBe(ttlDay(after));
    // The document's lifecycle clock restarts with the write, and it keeps the plan's tag.
    expect(await tagsOf(docKey("t_recur", id))).toEqual([{ Key: "retention", Value: "7d" }]);
  });

  it("gives an incident a source still fires for no expiry and no tag until it resolves, then both from its resolution", async () => {
    await ports.tenants.create(tenant("t_firing", "free"), key("t_firing"));
    const opened = Date.now() - 20 * DAY_MS;
    const id = idAt("inc", opened, "firing");
    await openIncident(incident("t_firing", id, { created_at: iso(opened), last_seen: iso(opened), source_keys: ["cw:stuck", "cw:other"] }));
    const unexpiring = async () => {
      expect(await tagsOf(docKey("t_firing", id))).toEqual([]);
      const head = await item("t_firing", sk.incident(id));
      expect(head).toMatchObject({ active_at: null });
      expect(head?.expires_at).toBeUndefined();
      for (const k of [sk.fingerprint("payments", `fp-${id}`), sk.sourceKey("cw:stuck"), sk.sourceKey("cw:other")]) {
        expect(await item("t_firing", k), k).toMatchObject({ incident_id: id });
        expect((await item("t_firing", k))?.expires_at, k).toBeUndefined();
      }
    };
    await unexpiring();

    // One of its two alarms went back to OK: the other still fires.
    const view = ports.incidents.scoped();
    await view.put({ ...(await view.get("t_firing", id))!, resolved_source_keys: ["cw:stuck"] });
    await unexpiring();

    const resolvedAt = iso(Date.now());
    await view.put({ ...(await view.get("t_firing", id))!, status: "RESOLVED", resolved_at: resolvedAt, resolved_by: "cloudwatch", resolution: "OK", resolved_source_keys: [] });
    const expected = epochS(resolvedAt) + (7 + TTL_GRACE_DAYS) * DAY_S;
    expect(await tagsOf(docKey("t_firing", id))).toEqual([{ Key: "retention", Value: "7d" }]);
    expect(await item("t_firing", sk.incident(id))).toMatchObject({ active_at: resolvedAt, expires_at: expected });
    expect((await item("t_firing", sk.fingerprint("payments", `fp-${id}`)))?.expires_at).toBe(ttlDay(expected));
    expect((await item("t_firing", sk.sourceKey("cw:other")))?.expires_at).toBe(ttlDay(expected));
  });
});

describe("the retention worker", () => {
  it("purges what aged out of a tenant's retention from Pinecone, S3 and DynamoDB, and nothing else", async () => {
    const now = Date.now();
    // Tenant A (free, 7 days) and tenant B (starter, 30 days). The worker runs 8 days from now.
    await ports.tenants.create(tenant("t_purge_a", "free"), key("t_purge_a"));
    await ports.tenants.create(tenant("t_purge_b", "starter"), key("t_purge_b"));
    const later = new Date(now + 8 * DAY_MS);

    const oldOpen = idAt("inc", now, "oldopen");
    const oldResolved = idAt("inc", now, "oldres");
    const recurring = idAt("inc", now, "recurring");
    const stillFiring = idAt("inc", now, "firing");
    const fresh = idAt("inc", now + 6 * DAY_MS, "fresh");
    const otherTenant = idAt("inc", now, "other");
    await openIncident(incident("t_purge_a", oldOpen, { created_at: iso(now), last_seen: iso(now), source_keys: ["cw:old-open"], source_keys_overflowed: true }));
    // As old, but its CloudWatch alarm is still in ALARM: kept, whatever the plan.
    await openIncident(incident("t_purge_a", stillFiring, { created_at: iso(now), last_seen: iso(now), source_keys: ["cw:stuck"] }));
    await openIncident(incident("t_purge_a", oldResolved, {
      created_at: iso(now), last_seen: iso(now), status: "RESOLVED", resolved_at: iso(now + DAY_MS / 2), resolved_by: "oncall", resolution: "fixed",
    }));
    // Opened as long ago as the purged ones, but it recurred 3 days later: idle for 5 days at the run, kept.
    await openIncident(incident("t_purge_a", recurring, { created_at: iso(now), last_seen: iso(now + 3 * DAY_MS), source_keys: ["cw:recurring"] }));
    await openIncident(incident("t_purge_a", fresh, { created_at: iso(now + 6 * DAY_MS), last_seen: iso(now + 6 * DAY_MS) }));
    await openIncident(incident("t_purge_b", otherTenant, { created_at: iso(now), last_seen: iso(now), source_keys: ["cw:old-open"] }));
    await ports.kv.put("t_purge_a", notifyStateKey(oldOpen), "paged");
    await ports.kv.put("t_purge_a", notifyStateKey(recurring), "paged");

    const oldAlarm = idAt("alm", now, "old");
    const freshAlarm = idAt("alm", now + 6 * DAY_MS, "fresh");
    await ports.alarms.accept(alarm("t_purge_a", oldAlarm, iso(now)), "retry-key-1");
    await ports.alarms.accept(alarm("t_purge_a", freshAlarm, iso(now + 6 * DAY_MS)), undefined);
    await ports.alarms.accept(alarm("t_purge_b", idAt("alm", now, "other"), iso(now)), undefined);
    await ports.audit.append({ event_id: "aud_old", tenant_id: "t_purge_a", at: iso(now), actor: "system", action: "incident.opened", target: oldOpen });
    await ports.audit.append({ event_id: "aud_fresh", tenant_id: "t_purge_a", at: iso(now + 6 * DAY_MS), actor: "system", action: "incident.opened", target: fresh });

    const nsA = tenantNamespace("t_purge_a");
    const nsB = tenantNamespace("t_purge_b");
    expect([...env.pinecone.visible(nsA).keys()].sort()).toEqual([fresh, oldOpen, oldResolved, recurring, stillFiring].sort());

    // The deployed handler runs on the real clock: nothing has aged out yet.
    const { handler } = await import("../src/handlers/retention");
    const today = await handler({}, { getRemainingTimeInMillis: () => 900_000 });
    expect(today).toMatchObject({ incidents: 0, alarms: 0, audit: 0, complete: true });
    expect(env.pinecone.visible(nsA).size).toBe(5);

    const run = retentionLambda({ ...ports, clock: { now: () => later } });
    const report = await run({}, { getRemainingTimeInMillis: () => 900_000 });
    // Totals include the other tests' tenants in this table; what happened to each store is checked below.
    expect(report).toMatchObject({ failed: 0, complete: true });
    expect(report.incidents).toBeGreaterThanOrEqual(2);

    // Pinecone: the two idle incidents' vectors are gone; the rest, and the other tenant's, stay.
    expect([...env.pinecone.visible(nsA).keys()].sort()).toEqual([fresh, recurring, stillFiring].sort());
    expect([...env.pinecone.visible(nsB).keys()]).toEqual([otherTenant]);

    // S3 and DynamoDB agree, without waiting for lifecycle rules or TTL.
    for (const id of [oldOpen, oldResolved]) {
      expect(await docExists(docKey("t_purge_a", id))).toBe(false);
      expect(await item("t_purge_a", sk.incident(id))).toBeUndefined();
      expect(await item("t_purge_a", sk.fingerprint("payments", `fp-${id}`))).toBeUndefined();
      expect(await ports.incidents.scoped().get("t_purge_a", id)).toBeNull();
    }
    expect(await item("t_purge_a", sk.sourceKey("cw:old-open"))).toBeUndefined();
    expect(await item("t_purge_a", sk.kv(notifyStateKey(oldOpen)))).toBeUndefined();
    expect(await ports.alarms.get("t_purge_a", oldAlarm)).toBeNull();
    expect(await item("t_purge_a", sk.alarm(oldAlarm))).toBeUndefined();
    expect((await ports.table.queryAll(pk.tenant("t_purge_a"), sk.idempotencyPrefix)).length).toBe(0);
    expect((await ports.audit.list("t_purge_a", { limit: 10 })).items.map((e) => e.event_id)).toEqual(["aud_fresh"]);

    for (const id of [recurring, fresh, stillFiring]) {
      expect(await docExists(docKey("t_purge_a", id))).toBe(true);
      expect((await ports.incidents.scoped().get("t_purge_a", id))?.incident_id).toBe(id);
    }
    expect(await ports.incidents.findBySourceKey("t_purge_a", "cw:recurring")).toBe(recurring);
    expect(await ports.incidents.findBySourceKey("t_purge_a", "cw:stuck")).toBe(stillFiring);
    expect(await ports.kv.get("t_purge_a", notifyStateKey(recurring))).toBe("paged");
    expect(await ports.alarms.get("t_purge_a", freshAlarm)).not.toBeNull();

    // The other tenant (30 days) keeps everything, including a source key with the same name.
    expect(await docExists(docKey("t_purge_b", otherTenant))).toBe(true);
    expect(await ports.incidents.findBySourceKey("t_purge_b", "cw:old-open")).toBe(otherTenant);
    expect(await ports.alarms.get("t_purge_b", idAt("alm", now, "other"))).not.toBeNull();

    // A second run finds nothing more: every store already agrees.
    expect(await run({}, { getRemainingTimeInMillis: () => 900_000 })).toMatchObject({ incidents: 0, alarms: 0, audit: 0 });
  });

  it("does not let a recurrence that read the incident before the purge bring it back", async () => {
    await ports.tenants.create(tenant("t_race", "free"), key("t_race"));
    const now = Date.now();
    const id = idAt("inc", now, "race");
    await openIncident(incident("t_race", id, { created_at: iso(now), last_seen: iso(now) }));
    const view = ports.incidents.scoped();
    const read = (await view.get("t_race", id))!;

    await retentionLambda({ ...ports, clock: { now: () => new Date(now + 8 * DAY_MS) } })({}, { getRemainingTimeInMillis: () => 900_000 });

    await expect(view.put({ ...read, occurrences: 2, last_seen: iso(Date.now()) })).rejects.toMatchObject({ status: 409 });
    expect(await docExists(docKey("t_race", id))).toBe(false);
  });

  it("keeps an incident its source holds open for HELD_OPEN_MAX_DAYS after its last alarm, and not at all when sources resolve nothing", async () => {
    const now = Date.now();
    await ports.tenants.create(tenant("t_held", "free"), key("t_held"));
    const manual = tenant("t_manual", "free");
    await ports.tenants.create({ ...manual, settings: { ...manual.settings, auto_resolve: false } }, key("t_manual"));
    const held = idAt("inc", now, "held");
    const unheld = idAt("inc", now, "manual");
    await openIncident(incident("t_held", held, { created_at: iso(now), last_seen: iso(now), source_keys: ["cw:held"] }));
    await openIncident(incident("t_manual", unheld, { created_at: iso(now), last_seen: iso(now), source_keys: ["cw:manual"] }));
    const runAt = (days: number) => retentionLambda({ ...ports, clock: { now: () => new Date(now + days * DAY_MS) } })({}, { getRemainingTimeInMillis: () => 900_000 });

    await runAt(8);
    expect(await item("t_manual", sk.incident(unheld))).toBeUndefined();
    expect(await item("t_held", sk.incident(held))).toBeDefined();
    await runAt(HELD_OPEN_MAX_DAYS - 1);
    expect(await item("t_held", sk.incident(held))).toBeDefined();
    await runAt(HELD_OPEN_MAX_DAYS + 1);
    expect(await item("t_held", sk.incident(held))).toBeUndefined();
    expect(await item("t_held", sk.sourceKey("cw:held"))).toBeUndefined();
    expect(await docExists(docKey("t_held", held))).toBe(false);
  });

  it("stops at its deadline and the next run completes the round, starting after the tenant the last one reached", async () => {
    // Their own tenants, so "the one after" is known whatever else this file created (the registry lists ids in order).
    for (const id of ["t_round_a", "t_round_b", "t_round_c"]) await ports.tenants.create(tenant(id, "free"), key(id));
    const cursor = { pk: pk.retention, sk: "cursor" };
    const purged = vi.spyOn(TenantPurge.prototype, "purge");
    const purgedIds = () => purged.mock.calls.map(([t]) => t.tenant_id);
    const run = retentionLambda({ ...ports, clock: { now: () => new Date() } });
    try {
      // No time left: the run stops before the first tenant and says so.
      expect((await run({}, { getRemainingTimeInMillis: () => 0 })).complete).toBe(false);
      expect(purged).not.toHaveBeenCalled();

      // As if an earlier run had stopped after t_round_a: the next starts after it, goes round, and clears the mark.
      await ports.table.put({ ...cursor, after: "t_round_a" });
      expect(await run({}, { getRemainingTimeInMillis: () => 900_000 })).toMatchObject({ complete: true, failed: 0 });
      expect(purgedIds()[0]).toBe("t_round_b");
      expect(purgedIds()).toContain("t_round_a");
      expect(await ports.table.get(cursor)).toBeUndefined();

      // Time for one tenant: the clock jumps past the deadline while it is purged, so the run stops after it
      // without depending on how fast this machine is.
      purged.mockClear();
      await ports.table.put({ ...cursor, after: "t_round_b" });
      const realNow = Date.now;
      purged.mockImplementationOnce(async () => {
        vi.spyOn(Date, "now").mockImplementation(() => realNow() + 3_600_000);
        return { incidents: 0, alarms: 0, idempotency: 0, audit: 0, dead_letters: 0 };
      });
      expect(await run({}, { getRemainingTimeInMillis: () => 900_000 })).toMatchObject({ complete: false, failed: 0 });
      expect(purgedIds()).toEqual(["t_round_c"]);
      expect(await ports.table.get(cursor)).toMatchObject({ after: "t_round_c" });
    } finally {
      vi.restoreAllMocks();
    }
  });
});
