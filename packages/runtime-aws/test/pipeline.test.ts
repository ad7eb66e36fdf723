import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeVector, makeEvent, STAGE_NAMES, tenantNamespace, type Alarm, type Incident, type StageName } from "@ir/core";
import { seedGlobalRunbooks } from "@ir/match";
import { containerPorts } from "../src/container";
import type { AwsPorts } from "../src/ports";
import { httpEvent } from "./support/api-gateway";
import { ADMIN_KEY, DIMENSIONS, startEnvironment, type Environment } from "./support/environment";
import { EventSourceMappings, lambdaContext, toRecord, type SqsHandler } from "./support/event-source";
import { fakeEmbedding } from "./support/openai-stand-in";
import { waitFor } from "./support/wait";

/**
 * The whole AWS runtime end to end: the real stage packages in the real handler files, SQS and S3 on fauxqs,
 * DynamoDB on dynalite, EventBridge routing by the stage graph's rules, Pinecone and OpenAI stand-ins.
 */
let env: Environment;
let ports: AwsPorts;
let http: (typeof import("../src/handlers/http"))["handler"];
let handlers: Record<StageName, SqsHandler>;
let mappings: EventSourceMappings;

const call = async (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => {
  const res = await http(httpEvent(method, path, opts), lambdaContext(30_000) as never);
  return { status: res.statusCode!, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers ?? {} };
};

beforeAll(async () => {
  env = await startEnvironment();
  ports = containerPorts();
  // IR_TEST_BUNDLES=1 runs the same suite through the esbuild bundles (build them first with `npm run bundle`).
  const from = (name: string) => (process.env.IR_TEST_BUNDLES === "1" ? `../dist/${name}/index.mjs` : `../src/handlers/${name}.ts`);
  http = (await import(/* @vite-ignore */ from("http"))).handler;
  handlers = Object.fromEntries(await Promise.all(STAGE_NAMES.map(async (s) => [s, (await import(/* @vite-ignore */ from(s))).handler]))) as Record<StageName, SqsHandler>;
  await seedGlobalRunbooks(ports);
  mappings = new EventSourceMappings(env.sqs, env.emulators.queues, handlers, { concurrency: 3, batchSize: 4 });
  mappings.start();
});
afterAll(async () => {
  await mappings?.stop();
  await env?.stop();
});

async function newTenant(name: string) {
  const res = await call("POST", "/api/v1/admin/tenants", { headers: { "x-admin-key": ADMIN_KEY }, body: { name, plan: "enterprise" } });
  expect(res.status).toBe(201);
  return res.body as { tenant_id: string; api_key: string };
}

const publishRaw = (apiKey: string, body: unknown) => env.sqs.send(new SendMessageCommand({
  QueueUrl: env.emulators.ingestQueueUrl, MessageBody: JSON.stringify(body),
  MessageAttributes: { "ir-api-key": { DataType: "String", StringValue: apiKey } },
}));

const allIncidents = async (tenantId: string) => (await ports.incidents.list(tenantId, { limit: 100 })).items;

describe("end to end on the emulators", () => {
  // A test that fails with Pinecone slowed or paused must not leave it so: the erase test would then find nothing to erase.
  afterEach(() => { env.pinecone.state.lagMs = 0; env.pinecone.release(); });

  it("an alarm on the ingest queue flows ingest → embed → match → enrich → notify and lands in S3, DynamoDB and the index", async () => {
    const t = await newTenant("acme");
    await publishRaw(t.api_key, { error: "Lambda function payment-processor timed out after 30.01 seconds (request 8f2c1a)", service: "payment-processor", severity: "HIGH" });

    const [incident] = await waitFor("the incident", async () => {
      const list = (await allIncidents(t.tenant_id)).filter((i) => i.recommendations.length);
      return list.length ? list : undefined;
    });
    expect(incident).toMatchObject({ service: "payment-processor", status: "OPEN", occurrences: 1, severity: "HIGH" });
    expect(incident.recommended_runbooks[0]?.runbook_id).toBe("rb_global_lambda-timeout");
    expect(incident.recommendations.length).toBeGreaterThan(0);

    // S3 document at the contract path, DynamoDB fingerprint index, Pinecone vector with §5 metadata.
    const doc = await (await ports.clients.s3.use()).client.send(new (await import("@aws-sdk/client-s3")).GetObjectCommand({ Bucket: env.emulators.bucket, Key: `tenant_${t.tenant_id}/incidents/${incident.incident_id}.json` }));
    expect((JSON.parse(await doc.Body!.transformToString()) as Incident).incident_id).toBe(incident.incident_id);
    expect(await ports.incidents.findByFingerprint(t.tenant_id, "payment-processor", incident.fingerprint)).toBe(incident.incident_id);
    const vector = await waitFor("the vector in Pinecone", () => env.pinecone.visible(tenantNamespace(t.tenant_id)).get(incident.incident_id));
    expect(vector.metadata).toMatchObject({ type: "incident", incident_id: incident.incident_id, tenant_id: t.tenant_id, service: "payment-processor", status: "OPEN", s3_key: `tenant_${t.tenant_id}/incidents/${incident.incident_id}.json` });

    // Every hop went through EventBridge, routed by the graph's rules.
    const types = new Set(env.eventBridge.received.filter((e) => JSON.parse(e.Detail).tenant_id === t.tenant_id).map((e) => e.DetailType));
    expect([...types].sort()).toEqual(["alarm.embedded", "alarm.received", "incident.changed", "incident.decided"]);

    // The HTTP API serves the same contract: listing, the full document, and a waited report that dedups.
    const listed = await call("GET", "/api/v1/incidents", { headers: { "x-api-key": t.api_key } });
    expect(listed.status).toBe(200);
    expect(listed.body.incidents.map((i: Incident) => i.incident_id)).toEqual([incident.incident_id]);
    const again = await call("POST", "/api/v1/incidents?wait=20", {
      headers: { authorization: `Bearer ${t.api_key}`, "idempotency-key": "retry-1" },
      body: { error: "Lambda function payment-processor timed out after 29.7 seconds (request 77aa01)", service: "payment-processor" },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "existing", incident_id: incident.incident_id, occurrences: 2 });
    const retried = await call("POST", "/api/v1/incidents", {
      headers: { authorization: `Bearer ${t.api_key}`, "idempotency-key": "retry-1" },
      body: { error: "Lambda function payment-processor timed out after 29.7 seconds (request 77aa01)", service: "payment-processor" },
    });
    expect(retried.body.alarm_id).toBe(again.body.alarm_id);
    expect((await call("GET", `/api/v1/incidents/${incident.incident_id}`, { headers: { "x-api-key": t.api_key } })).body.occurrences).toBe(2);
  });

  it("answers 404 for an id or 400 for a cursor too long for a DynamoDB key, not 500", async () => {
    const t = await newTenant("long-ids");
    const headers = { "x-api-key": t.api_key };
    const long = "x".repeat(1_100);
    for (const path of [`/api/v1/incidents/inc_${long}`, `/api/v1/alarms/alm_${long}`, `/api/v1/runbooks/rb_${long}`]) {
      expect((await call("GET", path, { headers })).status).toBe(404);
    }
    expect((await call("POST", `/api/v1/dlq/dl_${long}/replay`, { headers })).status).toBe(404);
    const cursor = Buffer.from(`inc#${long}`).toString("base64url");
    expect((await call("GET", `/api/v1/incidents?cursor=${cursor}`, { headers })).status).toBe(400);
  });

  it("?wait ends in time to answer 202 when the function has less time left than asked for", async () => {
    const t = await newTenant("short-wait");
    await mappings.stop();
    try {
      const started = Date.now();
      const res = await http(httpEvent("POST", "/api/v1/incidents?wait=30", { body: { error: "Replica lag 95 s on orders-db-2", service: "orders-db" }, headers: { "x-api-key": t.api_key } }), lambdaContext(4_000) as never);
      // Accepted, not decided (no worker runs): 202, where waiting the full 30 s ran into the 503 of the early timeout.
      expect(res.statusCode).toBe(202);
      expect(JSON.parse(res.body!)).toMatchObject({ status: "queued" });
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      mappings.start();
    }
  });

  it("a storm of one problem sent concurrently makes exactly one incident, even while Pinecone lags", async () => {
    const t = await newTenant("storm");
    env.pinecone.state.lagMs = 3000;
    const copies = 24;
    await Promise.all(Array.from({ length: copies }, (_, i) => publishRaw(t.api_key, {
      error: `Connection pool exhausted: 50/50 connections in use, waited ${1000 + i} ms (db-${i % 3}.internal:5432)`, service: "orders-db",
    })));
    const incident = await waitFor("all copies attached", async () => {
      const list = await allIncidents(t.tenant_id);
      return list.length === 1 && list[0].occurrences === copies ? list[0] : undefined;
    }, 45_000);
    expect(incident.history.filter((h) => h.event === "created")).toHaveLength(1);
    expect(await allIncidents(t.tenant_id)).toHaveLength(1);
    env.pinecone.state.lagMs = 0;
  });

  it("concurrent match invocations for alarms the fingerprint index cannot join make one incident while Pinecone has applied nothing", async () => {
    const t = await newTenant("lookalike");
    env.pinecone.state.paused = true;
    const at = new Date().toISOString();
    // Fingerprints that all miss: only the vector index (here, its read-your-writes buffer) can find the first incident.
    const alarm = (n: number): Alarm => ({
      alarm_id: `alm_lookalike_${n}`, tenant_id: t.tenant_id, source: "sqs", service: "checkout", severity: "HIGH", metadata: {}, occurred_at: at, received_at: at,
      error: "payment gateway request failed: upstream connect error before headers",
    });
    const events = [alarm(1), alarm(2), alarm(3)].map((a) => {
      const masked = a.error;
      return makeEvent("alarm.embedded", t.tenant_id, a.alarm_id, { alarm: a, masked, fingerprint: `fp-${a.alarm_id}`, vector: encodeVector(fakeEmbedding(masked, DIMENSIONS)) }, at);
    });
    const arn = env.emulators.queues.match.arn;
    const records = events.map((e, i) => toRecord({
      MessageId: `m-lookalike-${i}`, ReceiptHandle: `rh-${i}`, Body: JSON.stringify({ version: "0", id: `e${i}`, "detail-type": e.type, source: "incident-responder", detail: e }),
      Attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()) },
    }, arn));
    // Three Lambda invocations at once, one record each: only the lease and the read-your-writes buffer keep them from each opening an incident.
    let pending = records;
    // Enrich runs beside them (this file's event source mappings) and may write the incident between a decision's read
    // and its write: that decision fails its optimistic lock and is redelivered, as SQS would, until all are done.
    for (let attempt = 2; pending.length && attempt <= 5; attempt++) {
      const results = await Promise.all(pending.map((r) => handlers.match({ Records: [r] }, lambdaContext())));
      const failed = new Set(results.flatMap((r) => r.batchItemFailures.map((f) => f.itemIdentifier)));
      pending = pending.filter((r) => failed.has(r.messageId)).map((r) => ({ ...r, attributes: { ...r.attributes, ApproximateReceiveCount: String(attempt) } }));
    }
    expect(pending).toEqual([]);
    const incidents = await allIncidents(t.tenant_id);
    expect(incidents).toHaveLength(1);
    expect(incidents[0].occurrences).toBe(3);
    expect(env.pinecone.visible(tenantNamespace(t.tenant_id)).size).toBe(0);
    env.pinecone.release();
  });

  it("erases a tenant everywhere: S3 prefix, DynamoDB partition and lookups, Pinecone namespace", async () => {
    const t = await newTenant("gdpr");
    await publishRaw(t.api_key, { error: "Disk /var is 98% full on host web-3", service: "web" });
    await waitFor("the incident", async () => (await allIncidents(t.tenant_id)).length === 1);
    await waitFor("the pipeline to settle", async () => (await allIncidents(t.tenant_id))[0]?.recommendations.length);
    const res = await call("DELETE", "/api/v1/tenant", { headers: { "x-api-key": t.api_key } });
    expect(res.status).toBeLessThan(300);
    expect(await ports.table.queryAll(`tenant#${t.tenant_id}`)).toEqual([]);
    expect(await ports.table.queryAll(`vec#${tenantNamespace(t.tenant_id)}`)).toEqual([]);
    const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
    const left = await (await ports.clients.s3.use()).client.send(new ListObjectsV2Command({ Bucket: env.emulators.bucket, Prefix: `tenant_${t.tenant_id}/` }));
    expect(left.Contents ?? []).toEqual([]);
    expect(env.pinecone.visible(tenantNamespace(t.tenant_id)).size).toBe(0);
    expect((await call("GET", "/api/v1/incidents", { headers: { "x-api-key": t.api_key } })).status).toBe(401);
  });
});
