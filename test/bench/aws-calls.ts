import type { Context, SQSEvent } from "aws-lambda";
import { STAGE_NAMES, STAGES, type StageName } from "@ir/core";
import { seedGlobalRunbooks } from "@ir/match";
import { knownProblemAt, newProblem, type AlarmBody } from "./alarm-mix";
import { AwsMeter, dollars, emptyUsage, minus, plus, scale, type Usage } from "./aws-meter";
import { PRICES } from "./list-prices";
import { fixed, formatTable, verdict } from "./table";

export const TARGET_PER_1000 = 0.05;
const DUPLICATES = 0.95;
const PROBLEMS = 5;
/**
 * Recurrences measured alone per problem: a recurrence whose random parts escape masking misses the
 * fingerprint and costs a vector search (or, rarely, a new incident), so a handful of samples swings the total.
 */
const REPEATS = 4;
const MIX = 200;
/** The HTTP function's memory (stacks/plan.ts). */
const HTTP_MEMORY_MB = 512;
const CHAT_MAX_TOKENS = 700;

const AWS = "../../packages/runtime-aws";

/**
 * The AWS runtime against the emulators (fauxqs, dynalite, the EventBridge / Pinecone / OpenAI stand-ins
 * of packages/runtime-aws/test/support), driven as Lambda would drive it: an HTTP report through the API
 * Gateway handler, then each stage's queue received, invoked and deleted one batch at a time until empty.
 * Every call is counted (see AwsMeter) for a new incident, for a duplicate, and for a mixed batch.
 */
export async function awsSection(): Promise<{ text: string; per1000: number }> {
  const { startEnvironment, ADMIN_KEY, DIMENSIONS } = await import(`${AWS}/test/support/environment`);
  const env = await startEnvironment();
  try {
    // The handlers read their configuration at import: only after the environment exists.
    const { containerPorts } = await import(`${AWS}/src/container`);
    const { EventSourceMappings, lambdaContext } = await import(`${AWS}/test/support/event-source`);
    const { httpEvent } = await import(`${AWS}/test/support/api-gateway`);
    const ports = containerPorts();

    let pineconeSeen = env.pinecone.requests.length;
    let eventsSeen = env.eventBridge.received.length;
    let openAiSeen = { ...env.openai.calls };
    const meter = new AwsMeter((m) => {
      m.pineconeRequests(env.pinecone.requests.slice(pineconeSeen), DIMENSIONS);
      pineconeSeen = env.pinecone.requests.length;
      m.eventsDelivered(env.eventBridge.received.slice(eventsSeen).map((e: { DetailType: string }) => e.DetailType));
      eventsSeen = env.eventBridge.received.length;
      const now = { ...env.openai.calls };
      m.openAi({ embeddings: now.embeddings - openAiSeen.embeddings, embeddingTokens: now.embeddingTokens - openAiSeen.embeddingTokens, chat: now.chat - openAiSeen.chat,
        chatInputTokens: now.chatInputTokens - openAiSeen.chatInputTokens, chatOutputTokens: now.chatOutputTokens - openAiSeen.chatOutputTokens });
      openAiSeen = now;
    });
    meter.instrument("sqs", ports.clients.sqs);
    meter.instrument("eventBridge", ports.clients.eventBridge);
    meter.instrument("s3", ports.clients.s3);
    meter.instrument("dynamo", ports.clients.dynamo);
    meter.instrumentPoller(env.sqs);

    const http = (await import(`${AWS}/src/handlers/http`)).handler;
    const stageHandlers = Object.fromEntries(await Promise.all(STAGE_NAMES.map(async (s) => [s, (await import(`${AWS}/src/handlers/${s}`)).handler])));
    const metered = Object.fromEntries(STAGE_NAMES.map((s) => [s, (event: SQSEvent, context: Context) =>
      meter.invocation(s, STAGES[s].memoryMb, () => stageHandlers[s](event, context))]));
    await seedGlobalRunbooks(ports);

    const call = async (method: string, path: string, body: unknown, headers: Record<string, string>) => {
      meter.total.apiRequests++;
      const res = await meter.invocation<{ statusCode?: number; body?: string }>("http", HTTP_MEMORY_MB, () => http(httpEvent(method, path, { body, headers }), lambdaContext(30_000)));
      return { status: res.statusCode ?? 0, body: res.body ? JSON.parse(res.body) : undefined };
    };
    const tenant = await call("POST", "/api/v1/admin/tenants", { name: "cost", plan: "enterprise" }, { "x-admin-key": ADMIN_KEY });
    const apiKey = tenant.body.api_key as string;
    const tenantId = tenant.body.tenant_id as string;
    const report = async (alarm: AlarmBody) => {
      const r = await call("POST", "/api/v1/incidents", alarm, { "x-api-key": apiKey });
      if (r.status !== 202) throw new Error(`report answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body.alarm_id as string;
    };

    const run = async (batchSize: number) => {
      const mappings = new EventSourceMappings(env.sqs, env.emulators.queues, metered, { concurrency: 1, batchSize });
      // Stage by stage until a whole pass finds every queue empty (bounded: a stuck message fails the bench).
      for (let pass = 0; pass < 200; pass++) {
        let handled = 0;
        for (const stage of STAGE_NAMES) handled += await mappings.once(stage as StageName, 0);
        if (handled === 0) return;
      }
      throw new Error("the queues did not drain");
    };
    const outcome = async (alarmId: string) => ((await ports.alarms.get(tenantId, alarmId)) as { status: string } | null)?.status;

    // Warm the container (catalogue, clients, caches) with a problem of its own, as a warm Lambda would be.
    await report(newProblem()); await run(1);

    let fresh = emptyUsage();
    let duplicate = emptyUsage();
    const statuses: string[] = [];
    for (let i = 0; i < PROBLEMS; i++) {
      const problem = knownProblemAt(i * 11);
      const s0 = meter.snapshot();
      const first = await report(problem); await run(1);
      const s1 = meter.snapshot();
      fresh = plus(fresh, minus(s1, s0));
      const again: string[] = [];
      for (let r = 0; r < REPEATS; r++) {
        const before = meter.snapshot();
        const id = await report(knownProblemAt(i * 11)); await run(1);
        duplicate = plus(duplicate, minus(meter.snapshot(), before));
        again.push(String(await outcome(id)));
      }
      statuses.push(`${await outcome(first)}/${again.join("+")}`);
    }
    fresh = scale(fresh, 1 / PROBLEMS);
    duplicate = scale(duplicate, 1 / (PROBLEMS * REPEATS));

    // A mixed burst handled in batches of 10, as the event source mappings deliver under load.
    const m0 = meter.snapshot();
    const kinds0 = new Map(meter.dynamoWruByKind);
    const mixIds: string[] = [];
    for (let i = 0; i < MIX; i++) mixIds.push(await report(i % Math.round(1 / (1 - DUPLICATES)) === 0 ? newProblem() : knownProblemAt((i % PROBLEMS) * 11)));
    await run(10);
    const mix = scale(minus(meter.snapshot(), m0), 1 / MIX);
    const wruByKind = [...meter.dynamoWruByKind].map(([k, v]) => [k, (v - (kinds0.get(k) ?? 0)) / MIX] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
    const mixStatuses: Record<string, number> = {};
    for (const id of mixIds) { const s = (await outcome(id)) ?? "undecided"; mixStatuses[s] = (mixStatuses[s] ?? 0) + 1; }

    const blended = plus(scale(fresh, 1000 * (1 - DUPLICATES)), scale(duplicate, 1000 * DUPLICATES));
    const per1000 = sum(dollars(blended));
    const worst = per1000 + 1000 * (1 - DUPLICATES) * (CHAT_MAX_TOKENS - fresh.chatOutputTokens / Math.max(1, fresh.chatCalls)) * fresh.chatCalls * PRICES.chatOutputToken;
    const mixPer1000 = sum(dollars(scale(mix, 1000)));

    const calls = formatTable(
      "AWS runtime on the emulators: calls per alarm (HTTP report → ingest … notify; SQS includes Lambda's receives/deletes and EventBridge's deliveries)",
      ["per alarm", "SQS req", "EventBridge events", "S3 PUT/LIST", "S3 GET", "DynamoDB calls", "WRU", "RRU", "Pinecone calls", "RU", "WU", "embed calls", "embed tokens", "chat calls", "chat tokens in/out", "Lambda inv.", "GB-s"],
      ([["new incident", fresh], ["duplicate", duplicate], [`mix of ${MIX}, batches of 10`, mix]] as Array<[string, Usage]>).map(([name, u]) => [
        name, fixed(u.sqsRequests), fixed(u.eventBridgeEvents), fixed(u.s3Puts), fixed(u.s3Gets), fixed(u.dynamoCalls), fixed(u.dynamoWru), fixed(u.dynamoRru),
        fixed(u.pineconeCalls), fixed(u.pineconeRu, 2), fixed(u.pineconeWu), fixed(u.embeddingCalls, 2), fixed(u.embeddingTokens), fixed(u.chatCalls, 2),
        `${fixed(u.chatInputTokens, 0)}/${fixed(u.chatOutputTokens, 0)}`, fixed(u.lambdaInvocations), fixed(u.lambdaGbSeconds, 3)]),
      [`new/duplicate outcomes: ${statuses.join(", ")}; mix outcomes: ${Object.entries(mixStatuses).map(([k, v]) => `${k} ${v}`).join(", ")}`,
        `DynamoDB WRU per alarm in the mix, by item kind: ${wruByKind.map(([k, v]) => `${k} ${fixed(v)}`).join(", ")}`,
        "tokens: ≈ 4 characters per token (the OpenAI stand-in's usage); Lambda GB-s: measured time + modelled in-region call latency (test/bench/list-prices.ts)"],
    );
    const items = dollars(blended);
    const cost = formatTable(
      `AWS list prices: dollars per 1,000 alarms at ${Math.round(DUPLICATES * 100)}% duplicates (${Math.round(1000 * (1 - DUPLICATES))} new + ${Math.round(1000 * DUPLICATES)} duplicates, each as measured alone)`,
      ["line item", "$ per 1,000 alarms"],
      [...Object.entries(items).map(([k, v]) => [k, fixed(v, 5)]), ["total", fixed(per1000, 4)]],
      [`target: ≤ $${TARGET_PER_1000} per 1,000 alarms — ${verdict(per1000 <= TARGET_PER_1000)}`,
        `if every chat answer used its max_tokens (${CHAT_MAX_TOKENS}): $${fixed(worst, 4)}; the batched mix of ${MIX} comes to $${fixed(mixPer1000, 4)} per 1,000`,
        "not per alarm, so not included: idle SQS long polling by the event source mappings, storage (S3, DynamoDB, Pinecone), Pinecone's plan minimum, CloudWatch logs"],
    );
    return { text: `${calls}\n${cost}`, per1000 };
  } finally {
    await env.stop();
  }
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
