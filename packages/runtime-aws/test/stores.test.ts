import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { hashKey, withAwsAccountClaims, type Alarm, type ApiKey, type Outcome, type Runbook, type Tenant } from "@ir/core";
import { pk, sk } from "../src/table";
import { useAwsEnvironment } from "./support/environment";
import { incident } from "./support/factories";

const aws = useAwsEnvironment();

const NOW = "2024-02-12T10:30:00.000Z";
const tenant = (id: string, accounts: string[] = []): Tenant => ({
  tenant_id: id, name: `Tenant ${id}`, plan: "free", created_at: NOW,
  settings: {
    global_runbooks: true, notifications: { channels: [] }, webhook_secret: "s".repeat(32), auto_resolve: true,
    default_severity: "MEDIUM", cloudwatch_service_from: ["tag"], aws_account_ids: accounts,
  },
});
const key = (tenantId: string, id: string, secret: string): ApiKey => ({
  key_id: id, tenant_id: tenantId, label: "default", prefix: secret.slice(0, 8), hash: hashKey(secret), created_at: NOW, last_used_at: null, expires_at: null,
});

describe("TenantStore on DynamoDB", () => {
  it("creates a tenant, authenticates its key by hash, lists, touches and revokes keys", async () => {
    await aws.ports.tenants.create(tenant("t1"), key("t1", "key_a", "ir_live_secret_a"));
    expect((await aws.ports.tenants.get("t1"))?.name).toBe("Tenant t1");
    expect((await aws.ports.tenants.findKey(hashKey("ir_live_secret_a"), NOW))?.key_id).toBe("key_a");
    await aws.ports.tenants.putKey(key("t1", "key_b", "ir_live_secret_b"));
    expect((await aws.ports.tenants.listKeys("t1")).map((k) => k.key_id)).toEqual(["key_a", "key_b"]);
    await aws.ports.tenants.touchKey("key_b", "2024-02-12T11:00:00.000Z");
    expect((await aws.ports.tenants.listKeys("t1")).find((k) => k.key_id === "key_b")?.last_used_at).toBe("2024-02-12T11:00:00.000Z");
    expect(await aws.ports.tenants.expireKey("t1", "key_b", NOW)).toBe(true);
    expect(await aws.ports.tenants.findKey(hashKey("ir_live_secret_b"), NOW)).toBeNull();
    expect(await aws.ports.tenants.expireKey("other", "key_a", NOW)).toBe(false);
  });

  it("links an AWS account to one tenant only", async () => {
    await aws.ports.tenants.create(tenant("t2", ["111111111111"]), key("t2", "key_c", "ir_live_secret_c"));
    expect((await aws.ports.tenants.findByAwsAccount("111111111111"))?.tenant_id).toBe("t2");
    await aws.ports.tenants.create(tenant("t3"), key("t3", "key_d", "ir_live_secret_d"));
    const claiming = (t: Tenant, account: string, code: string) =>
      withAwsAccountClaims(t.settings, [{ account_id: account, status: "pending", verification_code: code, claimed_at: "2026-01-01T00:00:00.000Z", verified_at: null }]);
    const t3 = tenant("t3");
    await expect(aws.ports.tenants.update({ ...t3, settings: claiming(t3, "111111111111", "c3") })).rejects.toMatchObject({ status: 409 });
    // Releasing an account frees it; a new one is only claimed (pending) until verified.
    const t2 = tenant("t2");
    await aws.ports.tenants.update({ ...t2, settings: claiming(t2, "222222222222", "c2") });
    expect(await aws.ports.tenants.findByAwsAccount("111111111111")).toBeNull();
    expect(await aws.ports.tenants.findByAwsAccount("222222222222")).toBeNull();
    expect(await aws.ports.tenants.pendingAwsAccountClaims("222222222222")).toEqual([{ tenant_id: "t2", verification_code: "c2" }]);
    // Written without claims, as before claims existed, an account the tenant does not hold is not taken without proof.
    await aws.ports.tenants.update(tenant("t3", ["333333333333"]));
    expect(await aws.ports.tenants.findByAwsAccount("333333333333")).toBeNull();
  });
});

describe("IncidentStore on S3 + DynamoDB", () => {
  it("writes the document to tenant_<id>/incidents/<id>.json with SSE and reads it back", async () => {
    const store = aws.ports.incidents.scoped();
    await store.put(incident("ti", "inc_001"));
    const raw = await (await aws.ports.clients.s3.use()).client.send(new GetObjectCommand({ Bucket: aws.env.emulators.bucket, Key: "tenant_ti/incidents/inc_001.json" }));
    expect(JSON.parse(await raw.Body!.transformToString()).incident_id).toBe("inc_001");
    expect((await aws.ports.incidents.scoped().get("ti", "inc_001"))?.error_message).toContain("Lambda timeout");
    expect(await aws.ports.incidents.scoped().get("other", "inc_001")).toBeNull();
  });

  it("refuses a write based on a stale read (optimistic lock)", async () => {
    await aws.ports.incidents.scoped().put(incident("ti", "inc_002"));
    const a = aws.ports.incidents.scoped();
    const b = aws.ports.incidents.scoped();
    const ia = (await a.get("ti", "inc_002"))!;
    const ib = (await b.get("ti", "inc_002"))!;
    await a.put({ ...ia, occurrences: 2 });
    await expect(b.put({ ...ib, status: "RESOLVED" })).rejects.toMatchObject({ status: 409 });
    expect((await aws.ports.incidents.scoped().get("ti", "inc_002"))?.occurrences).toBe(2);
  });

  it("lets only one of two racing new incidents claim a fingerprint; a resolved holder gives way", async () => {
    const results = await Promise.allSettled([
      aws.ports.incidents.scoped().put(incident("tf", "inc_010", { fingerprint: "same" })),
      aws.ports.incidents.scoped().put(incident("tf", "inc_011", { fingerprint: "same" })),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const winner = (await aws.ports.incidents.findByFingerprint("tf", "payments", "same"))!;
    const view = aws.ports.incidents.scoped();
    const open = (await view.get("tf", winner))!;
    await view.put({ ...open, status: "RESOLVED" });
    await aws.ports.incidents.scoped().put(incident("tf", "inc_012", { fingerprint: "same", regression_of: winner }));
    expect(await aws.ports.incidents.findByFingerprint("tf", "payments", "same")).toBe("inc_012");
  });

  it("lists newest first with status/service filters and cursors", async () => {
    for (let i = 0; i < 7; i++) {
      await aws.ports.incidents.scoped().put(incident("tl", `inc_${String(i).padStart(3, "0")}`, { service: i % 2 ? "api" : "db", status: i === 6 ? "RESOLVED" : "OPEN" }));
    }
    const first = await aws.ports.incidents.list("tl", { limit: 3 });
    expect(first.items.map((i) => i.incident_id)).toEqual(["inc_006", "inc_005", "inc_004"]);
    const second = await aws.ports.incidents.list("tl", { limit: 3, cursor: first.next_cursor! });
    expect(second.items.map((i) => i.incident_id)).toEqual(["inc_003", "inc_002", "inc_001"]);
    const db = await aws.ports.incidents.list("tl", { limit: 10, service: "db", status: "OPEN" });
    expect(db.items.map((i) => i.incident_id)).toEqual(["inc_004", "inc_002", "inc_000"]);
    expect(db.next_cursor).toBeNull();
  });

  it("lists incidents created before a time from that time on, newest first, without reading newer ones", async () => {
    const T0 = Date.parse("2031-01-01T00:00:00.000Z");
    const at = (d: number) => T0 + d * 86_400_000;
    // Ids as newId mints them: a moment after the incident's created_at.
    const idOf = (d: number) => `inc_${(at(d) + 5).toString(36).padStart(9, "0")}day${d}`;
    for (let d = 0; d < 10; d++) await aws.ports.incidents.scoped().put(incident("tb", idOf(d), { created_at: new Date(at(d)).toISOString() }));
    const queried = vi.spyOn(aws.ports.table, "query");
    try {
      const first = await aws.ports.incidents.list("tb", { limit: 2, created_before: new Date(at(5)).toISOString() });
      expect(first.items.map((i) => i.incident_id)).toEqual([idOf(4), idOf(3)]);
      const rest = await aws.ports.incidents.list("tb", { limit: 10, created_before: new Date(at(5)).toISOString(), cursor: first.next_cursor! });
      expect(rest.items.map((i) => i.incident_id)).toEqual([idOf(2), idOf(1), idOf(0)]);
      // One read per page: the five newer heads are outside the key range, not read and filtered out.
      expect(queried).toHaveBeenCalledTimes(2);
      expect(queried.mock.calls[0][0].KeyConditionExpression).toContain("BETWEEN");
    } finally {
      queried.mockRestore();
    }
  });

  it("reads a document from S3 once per revision within a scoped view, and again once another writer moved the head", async () => {
    await aws.ports.incidents.put(incident("tc", "inc_cached"));
    const view = aws.ports.incidents.scoped();
    const gets = vi.spyOn(aws.ports.docs, "get");
    try {
      const first = (await view.get("tc", "inc_cached"))!;
      // What a caller does to its copy is not what the next reader gets.
      first.occurrences = 99;
      expect((await view.get("tc", "inc_cached"))?.occurrences).toBe(1);
      expect(gets).toHaveBeenCalledTimes(1);
      const other = aws.ports.incidents.scoped();
      await other.put({ ...(await other.get("tc", "inc_cached"))!, occurrences: 2 });
      expect((await view.get("tc", "inc_cached"))?.occurrences).toBe(2);
      await view.put({ ...(await view.get("tc", "inc_cached"))!, occurrences: 3 });
      expect((await aws.ports.incidents.scoped().get("tc", "inc_cached"))?.occurrences).toBe(3);
    } finally {
      gets.mockRestore();
    }
  });

  it("indexes source keys", async () => {
    await aws.ports.incidents.indexSourceKey("ts", "arn:aws:cloudwatch:alarm:x", "inc_9");
    expect(await aws.ports.incidents.findBySourceKey("ts", "arn:aws:cloudwatch:alarm:x")).toBe("inc_9");
    expect(await aws.ports.incidents.findBySourceKey("other", "arn:aws:cloudwatch:alarm:x")).toBeNull();
  });
});

describe("AlarmStore on DynamoDB", () => {
  // Received now: a record older than the tenant's retention reads as absent.
  const alarm = (tenantId: string, id: string, at = new Date().toISOString()): Alarm => ({
    alarm_id: id, tenant_id: tenantId, source: "http", error: "Task timed out after 30.01 seconds", service: "api", severity: "HIGH", metadata: {}, occurred_at: at, received_at: at,
  });
  const record = (tenantId: string, id: string) => aws.ports.table.get({ pk: pk.tenant(tenantId), sk: sk.alarm(id) });
  const outcome = (id: string): Outcome => ({
    alarm_id: id, status: "existing", incident_id: "inc_1", occurrences: 4, severity: "HIGH", match: { method: "fingerprint", score: 1 },
    runbooks: [{ runbook_id: "rb_global_lambda-timeout", title: "Lambda function timeouts", similarity: 0.61 }],
    recommendations: Array.from({ length: 4 }, (_, i) => ({ text: `Step ${i}: check the function's duration against its timeout and bound the slow dependency.`, source: "llm" as const })),
  });

  it("marks an alarm published only when an idempotency key may bring a retry that asks", async () => {
    await aws.ports.tenants.create(tenant("tal"), key("tal", "key_al", "ir_live_al"));
    await aws.ports.alarms.accept(alarm("tal", "alm_nokey"), undefined);
    await aws.ports.alarms.accept(alarm("tal", "alm_key"), "idem-1");
    expect((await record("tal", "alm_nokey"))?.published).toBeUndefined();
    expect((await record("tal", "alm_key"))?.published).toBe(true);
    // A retry with the key answers the first alarm, published once.
    expect(await aws.ports.alarms.accept(alarm("tal", "alm_key_retry"), "idem-1")).toEqual({ alarm_id: "alm_key", duplicate: true });
    // The same claim read without accepting: how the API lets a retry past the limits.
    expect(await aws.ports.alarms.findByIdempotencyKey("tal", "idem-1")).toBe("alm_key");
    expect(await aws.ports.alarms.findByIdempotencyKey("tal", "idem-never")).toBeNull();
  });

  it("stores the outcome deflated within one write unit, and still reads outcomes stored as JSON text", async () => {
    await aws.ports.alarms.accept(alarm("tal", "alm_out"), undefined);
    await aws.ports.alarms.putOutcome("tal", outcome("alm_out"));
    expect(await aws.ports.alarms.get("tal", "alm_out")).toEqual(outcome("alm_out"));
    const item = (await record("tal", "alm_out"))!;
    const units = async (it: Record<string, unknown>) => (await (await aws.ports.table.client.use()).client.send(new PutCommand({ TableName: aws.ports.table.name, Item: it, ReturnConsumedCapacity: "TOTAL" }))).ConsumedCapacity?.CapacityUnits;
    expect(await units({ ...item, sk: sk.alarm("alm_as_text"), outcome: JSON.stringify(outcome("alm_out")) })).toBe(2);
    expect(await units(item)).toBe(1);

    await aws.ports.table.put({ ...item, pk: pk.tenant("tal"), sk: sk.alarm("alm_legacy"), outcome: JSON.stringify(outcome("alm_legacy")) });
    expect(await aws.ports.alarms.get("tal", "alm_legacy")).toEqual(outcome("alm_legacy"));
  });
});

describe("RunbookStore, AuditLog, UsageMeter, KvStore", () => {
  const runbook = (tenantId: string, id: string): Runbook => ({
    runbook_id: id, tenant_id: tenantId, title: `Runbook ${id}`, content: "# Fix\nRestart it.", tags: ["x"], created_at: NOW, updated_at: NOW, success_count: 0, failure_count: 0, created_by: "me",
  });

  it("keeps runbooks per tenant in S3, pages and counts them", async () => {
    for (const id of ["rb_1", "rb_2", "rb_3"]) await aws.ports.runbooks.put(runbook("tr", id));
    await aws.ports.runbooks.put(runbook("global", "rb_global_x"));
    expect(await aws.ports.runbooks.count("tr")).toBe(3);
    const page = await aws.ports.runbooks.list("tr", { limit: 2 });
    expect(page.items.map((r) => r.runbook_id)).toEqual(["rb_1", "rb_2"]);
    const rest = await aws.ports.runbooks.list("tr", { limit: 2, cursor: page.next_cursor! });
    expect(rest.items.map((r) => r.runbook_id)).toEqual(["rb_3"]);
    expect(rest.next_cursor).toBeNull();
    expect(await aws.ports.runbooks.delete("tr", "rb_2")).toBe(true);
    expect(await aws.ports.runbooks.delete("tr", "rb_2")).toBe(false);
    expect((await aws.ports.runbooks.get("global", "rb_global_x"))?.title).toBe("Runbook rb_global_x");
  });

  it("appends audit events once and lists them newest first", async () => {
    for (let i = 0; i < 5; i++) await aws.ports.audit.append({ event_id: `aud_${i}`, tenant_id: "ta", at: `2024-02-12T10:3${i}:00.000Z`, actor: "system", action: "x", target: "y" });
    await aws.ports.audit.append({ event_id: "aud_0", tenant_id: "ta", at: "2024-02-12T10:30:00.000Z", actor: "evil", action: "rewrite", target: "y" });
    const page = await aws.ports.audit.list("ta", { limit: 3 });
    expect(page.items.map((e) => e.event_id)).toEqual(["aud_4", "aud_3", "aud_2"]);
    const rest = await aws.ports.audit.list("ta", { limit: 3, cursor: page.next_cursor! });
    expect(rest.items.map((e) => [e.event_id, e.actor])).toEqual([["aud_1", "system"], ["aud_0", "system"]]);
  });

  it("counts usage atomically under concurrency", async () => {
    await Promise.all(Array.from({ length: 25 }, () => aws.ports.usage.add("tu", "2024-02", "alarms", 1)));
    await aws.ports.usage.add("tu", "2024-02", "incidents", 2);
    expect(await aws.ports.usage.get("tu", "2024-02")).toEqual({ alarms: 25, incidents: 2 });
    expect(await aws.ports.usage.get("tu", "2024-03")).toEqual({});
  });

  it("adds a step's counters in one write, once per token until it is forgotten", async () => {
    const add = () => aws.ports.usage.addAll("tu2", "runbook_stats", { "success:rb_a": 1, "failure:rb_b": 1 }, "inc_1:resolve");
    // A retry racing the first try, and one after it: counted once.
    await Promise.all([add(), add()]);
    await add();
    expect(await aws.ports.usage.get("tu2", "runbook_stats")).toEqual({ "success:rb_a": 1, "failure:rb_b": 1 });
    await aws.ports.usage.forget("tu2", "runbook_stats", "inc_1:resolve");
    const item = await aws.ports.table.get({ pk: pk.tenant("tu2"), sk: sk.usage("runbook_stats") });
    expect(Object.keys(item!).filter((k) => k.startsWith("o_"))).toEqual([]);
    await aws.ports.usage.addAll("tu2", "runbook_stats", { "success:rb_a": 2 });
    expect((await aws.ports.usage.get("tu2", "runbook_stats"))["success:rb_a"]).toBe(3);
  });

  it("stores small JSON state per tenant", async () => {
    await aws.ports.kv.put("tk", "policy", { a: 1, empty: "", list: [] });
    expect(await aws.ports.kv.get("tk", "policy")).toEqual({ a: 1, empty: "", list: [] });
    expect(await aws.ports.kv.get("other", "policy")).toBeNull();
  });
});
