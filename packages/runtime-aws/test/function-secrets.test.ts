import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { STAGE_NAMES, tenantNamespace, type Incident, type StageName } from "@ir/core";
import { seedGlobalRunbooks } from "@ir/match";
import { loadConfig, type AwsConfig } from "../src/config";
import { FUNCTION_ENV, FUNCTION_SECRETS, SECRET_ENV, SECRET_NAMES, type FunctionName, type SecretName } from "../src/function-secrets";
import { createAwsPorts, type AwsPorts } from "../src/ports";
import type { RetentionReport } from "../src/retention/retention-run";
import { httpEvent } from "./support/api-gateway";
import { ADMIN_KEY, DIMENSIONS, startEnvironment, type Environment } from "./support/environment";
import { EventSourceMappings, lambdaContext, messagesIn, stageQueuesEmpty, type SqsHandler } from "./support/event-source";
import { incident } from "./support/factories";
import { waitFor } from "./support/wait";

/**
 * Each function gets only the secrets FUNCTION_SECRETS lists (stacks/workers.ts links exactly those). Here every
 * handler module starts in its own container, as on Lambda, with `IR_FUNCTION` naming it and only its own secrets
 * in the environment, and the pipeline runs through all of them: a function that reaches for a secret it is not
 * given fails (ConfigError), and the flow below stops at that step.
 */
type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const DAY_MS = 86_400_000;
const READ: Record<SecretName, (c: AwsConfig) => string> = {
  PineconeApiKey: (c) => c.pinecone.apiKey,
  PineconeIndexHost: (c) => c.pinecone.indexHost,
  OpenaiApiKey: (c) => c.openai.apiKey,
  AdminKey: (c) => c.adminKey,
};

let env: Environment;
let ports: AwsPorts;
let mappings: EventSourceMappings;
const containers = {} as Record<FunctionName, { handler: unknown; config: AwsConfig }>;
/** Records a stage handed back as failed, by stage: none is expected in this flow. */
const failed: { stage: StageName; id: string }[] = [];

/** The handler module of `fn` in a fresh module graph (its own container), with only `fn`'s secrets in the environment. */
async function coldStart(fn: FunctionName) {
  const saved = { ...process.env };
  process.env[FUNCTION_ENV] = fn;
  for (const s of SECRET_NAMES) if (!FUNCTION_SECRETS[fn].includes(s)) delete process.env[SECRET_ENV[s]];
  vi.resetModules();
  try {
    const { handler } = await import(/* @vite-ignore */ `../src/handlers/${fn}.ts`);
    const { containerPorts } = await import("../src/container");
    return { handler, config: containerPorts().config };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const call = async (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => {
  const res = await (containers.http.handler as HttpHandler)(httpEvent(method, path, opts), lambdaContext(30_000));
  return { status: res.statusCode!, body: res.body ? JSON.parse(res.body) : undefined };
};

/** Every stage queue empty: the work that the last step started is done (or a stage failed, which stops the wait at once). */
const settled = (step: string) => waitFor(step, async () => {
  if (failed.length) throw new Error(`${step}: ${failed.map((f) => f.stage).join(", ")} failed a record (LOG_LEVEL=error shows why)`);
  return stageQueuesEmpty(env.sqs, env.emulators.queues);
});

beforeAll(async () => {
  env = await startEnvironment();
  ports = createAwsPorts(loadConfig());
  for (const fn of Object.keys(FUNCTION_SECRETS) as FunctionName[]) containers[fn] = await coldStart(fn);
  await seedGlobalRunbooks(ports);
  const stages = Object.fromEntries(STAGE_NAMES.map((stage) => [stage, async (event, context) => {
    const res = await (containers[stage].handler as SqsHandler)(event, context);
    failed.push(...res.batchItemFailures.map((f) => ({ stage, id: f.itemIdentifier })));
    return res;
  }])) as Record<StageName, SqsHandler>;
  mappings = new EventSourceMappings(env.sqs, env.emulators.queues, stages, { concurrency: 1 });
  mappings.start();
});
afterAll(async () => {
  await mappings?.stop();
  await env?.stop();
});

describe("each function runs with only its own secrets", () => {
  it.each(Object.entries(FUNCTION_SECRETS) as [FunctionName, readonly SecretName[]][])("%s: has %j and no other", (fn, secrets) => {
    const { config } = containers[fn];
    for (const s of SECRET_NAMES) {
      if (secrets.includes(s)) expect(READ[s](config), s).toBeTruthy();
      else expect(() => READ[s](config), s).toThrow(`${s} is not available to the ${fn} function`);
    }
  });

  it("carries an alarm through ingest, embed, match, enrich and notify; the API resolves, deletes a runbook and erases; retention purges", async () => {
    // The API opens a tenant with the admin key.
    const created = await call("POST", "/api/v1/admin/tenants", { headers: { "x-admin-key": ADMIN_KEY }, body: { name: "least-privilege" } });
    expect(created.status).toBe(201);
    const { tenant_id: tenantId, api_key: apiKey } = created.body as { tenant_id: string; api_key: string };
    const auth = { "x-api-key": apiKey };
    const ns = tenantNamespace(tenantId);

    // SQS direct publish: ingest; embed (OpenAI); match (Pinecone, runbook embeddings); enrich (Pinecone, OpenAI chat); notify.
    await env.sqs.send(new SendMessageCommand({
      QueueUrl: env.emulators.ingestQueueUrl,
      MessageBody: JSON.stringify({ error: "Lambda function payment-processor timed out after 30.01 seconds (request 8f2c1a)", service: "payment-processor", severity: "HIGH" }),
      MessageAttributes: { "ir-api-key": { DataType: "String", StringValue: apiKey } },
    }));
    const inc = await waitFor("an incident with recommendations", async () => {
      if (failed.length) throw new Error(`${failed.map((f) => f.stage).join(", ")} failed a record`);
      return (await ports.incidents.list(tenantId, { limit: 10 })).items.find((i: Incident) => i.recommendations.length > 0);
    });
    expect(inc.recommended_runbooks[0]?.runbook_id).toBe("rb_global_lambda-timeout");
    // Written by the chat model, not the extractive fallback enrich takes when the model cannot be reached.
    expect(inc.recommendations.map((r) => r.text)).toContain("Check recent deploys of payment-processor.");
    expect(env.pinecone.visible(ns).has(inc.incident_id)).toBe(true);
    await settled("the pipeline after the alarm");

    // The API updates the vector on resolve, and deletes a runbook's vector with it.
    const resolved = await call("POST", `/api/v1/incidents/${inc.incident_id}/resolve`, { headers: auth, body: { resolution: "raised the timeout", resolved_by: "oncall@example.com", runbook_id: "rb_global_lambda-timeout" } });
    expect(resolved.status).toBe(200);
    await waitFor("the vector marked resolved", () => env.pinecone.visible(ns).get(inc.incident_id)?.metadata?.status === "RESOLVED");
    const runbook = await call("POST", "/api/v1/runbooks", { headers: auth, body: { title: "Restart the pool", content: "Restart it.", tags: ["db"] } });
    expect(runbook.status).toBe(201);
    expect((await call("DELETE", `/api/v1/runbooks/${runbook.body.runbook_id}`, { headers: auth })).status).toBeLessThan(300);
    await settled("the pipeline after the resolve");

    // Retention deletes the vector of an incident past the free plan's 7 days.
    const old = Date.now() - 30 * DAY_MS;
    const oldId = `inc_${old.toString(36).padStart(9, "0")}leastpriv0`;
    await ports.incidents.scoped().put(incident(tenantId, oldId, { created_at: new Date(old).toISOString(), last_seen: new Date(old).toISOString() }));
    await ports.vectors.upsert(ns, [{ id: oldId, vector: Float32Array.from({ length: DIMENSIONS }, (_, i) => Math.sin(i)), metadata: { type: "incident", incident_id: oldId, service: "payments", status: "OPEN" } }]);
    await waitFor("the old vector", () => env.pinecone.visible(ns).has(oldId));
    const report = await (containers.retention.handler as (e: unknown, c: Context) => Promise<RetentionReport>)({}, lambdaContext(900_000));
    expect(report).toMatchObject({ failed: 0, complete: true });
    expect(env.pinecone.visible(ns).has(oldId)).toBe(false);

    // The API erases the tenant, its Pinecone namespace included.
    expect((await call("DELETE", "/api/v1/tenant", { headers: auth })).status).toBeLessThan(300);
    expect(env.pinecone.visible(ns).size).toBe(0);

    await settled("the pipeline at the end");
    expect(failed).toEqual([]);
    expect(mappings.errors).toEqual([]);
    for (const s of STAGE_NAMES) expect(await messagesIn(env.sqs, env.emulators.deadLetterQueues[s].url), `${s} DLQ`).toBe(0);
  });
});
