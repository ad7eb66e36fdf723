import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newTenant } from "@ir/api";
import { encodeVector, makeEvent, STAGE_NAMES, type Alarm, type Incident, type StageName } from "@ir/core";
import { seedGlobalRunbooks } from "@ir/match";
import { loadConfig } from "../src/config";
import { createAwsPorts, type AwsPorts } from "../src/ports";
import { pk, sk } from "../src/table";
import { DIMENSIONS, startEnvironment, type Environment } from "./support/environment";
import { EventSourceMappings, type SqsHandler } from "./support/event-source";
import { fakeEmbedding } from "./support/openai-stand-in";
import { waitFor } from "./support/wait";

/**
 * A Lambda container killed (SIGKILL, its own process) in the middle of a match batch, after some of its
 * records' incidents were written to S3 and before their processed-event records were completed. SQS makes
 * the batch visible again after its visibility timeout; a fresh container must finish it with every alarm
 * counted once: one incident per problem, occurrences equal to alarms.
 */
let env: Environment;
let ports: AwsPorts;
let handlers: Record<StageName, SqsHandler>;

const WORKER = fileURLToPath(new URL("./support/crash-worker.ts", import.meta.url));
const VISIBILITY_S = 11;
/** The dead container's Lambda deadline: its claims and order lease expire before the batch is visible again. */
const REMAINING_MS = 12_000;
const COPIES = 4;

beforeAll(async () => {
  env = await startEnvironment();
  ports = createAwsPorts(loadConfig());
  await seedGlobalRunbooks(ports);
  handlers = Object.fromEntries(await Promise.all(STAGE_NAMES.map(async (s) => [s, (await import(`../src/handlers/${s}.ts`)).handler]))) as Record<StageName, SqsHandler>;
});
afterAll(async () => { await env?.stop(); });

function runWorker(afterPuts: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER], {
      env: {
        ...process.env, ...env.env, NODE_NO_WARNINGS: "1", IR_CRASH_STAGE: "match", IR_CRASH_AFTER_PUTS: String(afterPuts),
        IR_CRASH_QUEUE_URL: env.emulators.queues.match.url, IR_CRASH_QUEUE_ARN: env.emulators.queues.match.arn,
        IR_CRASH_VISIBILITY_S: String(VISIBILITY_S), IR_CRASH_REMAINING_MS: String(REMAINING_MS),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    // A hang is ended with SIGTERM: the SIGKILL the test expects must be the worker's own crash.
    const timer = setTimeout(() => child.kill("SIGTERM"), 30_000);
    child.on("close", (code, signal) => { clearTimeout(timer); resolve({ code, signal, out }); });
  });
}

describe.each([
  ["right after the first new incident's document was written", 1],
  ["right after a recurrence's document was written", 3],
])("a match container killed mid-batch %s", (_, afterPuts) => {
  let finished: Incident[] = [];

  it("is finished by a fresh container after the visibility timeout: every event processed, one incident per problem", async () => {
    const { tenant, key } = newTenant(ports, { name: `crash-${afterPuts}`, plan: "enterprise" });
    await ports.tenants.create(tenant, key);
    const at = new Date().toISOString();
    // Two problems, alternating, on one service: one order group, processed in this order by one container.
    const problems = ["Task timed out after <num> seconds", "Connection pool exhausted: <num>/<num> connections in use"];
    const events = Array.from({ length: 2 * COPIES }, (_, i) => {
      const masked = problems[i % 2];
      const alarm: Alarm = { alarm_id: `alm_crash${afterPuts}_${i}`, tenant_id: tenant.tenant_id, source: "sqs", service: "checkout", severity: "HIGH", metadata: {}, occurred_at: at, received_at: at, error: masked.replaceAll("<num>", String(10 + i)) };
      return makeEvent("alarm.embedded", tenant.tenant_id, alarm.alarm_id, { alarm, masked, fingerprint: `fp-${afterPuts}-${i % 2}`, vector: encodeVector(fakeEmbedding(masked, DIMENSIONS)) }, at);
    });
    for (const e of events) {
      await env.sqs.send(new SendMessageCommand({ QueueUrl: env.emulators.queues.match.url, MessageBody: JSON.stringify({ version: "0", id: e.id, "detail-type": e.type, source: "incident-responder", detail: e }) }));
    }
    const incidents = async () => (await ports.incidents.list(tenant.tenant_id, { limit: 50 })).items as Incident[];

    const worker = await runWorker(afterPuts);
    expect(worker).toMatchObject({ signal: "SIGKILL", out: expect.stringContaining(`received ${events.length}`) });
    // Mid-batch: some effects are in the stores, most of the batch is not.
    const before = (await incidents()).reduce((n, i) => n + i.occurrences, 0);
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThan(events.length);

    const mappings = new EventSourceMappings(env.sqs, env.emulators.queues, handlers, { concurrency: 1, batchSize: 10 });
    mappings.start();
    try {
      await waitFor("every event processed by match", async () => {
        for (const e of events) {
          const rec = await ports.table.get({ pk: pk.tenant(tenant.tenant_id), sk: sk.processed("match", e.id) });
          if (rec?.status !== "done") return false;
        }
        return true;
      }, 45_000);
    } finally {
      await mappings.stop();
    }
    finished = await incidents();
    expect(finished).toHaveLength(2);
  }, 60_000);

  /** Redelivery of an event whose write was interrupted must not count its alarm again (match replays it from the history). */
  it("counts every alarm once", () => {
    expect(finished.map((i) => i.occurrences)).toEqual([COPIES, COPIES]);
    for (const i of finished) {
      const alarmIds = i.history.filter((h) => h.event === "created" || h.event === "recurred").map((h) => h.alarm_id);
      expect(new Set(alarmIds).size).toBe(alarmIds.length);
    }
  });
});
