import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newTenant } from "@ir/api";
import { encodeVector, makeEvent, monthOf, STAGE_NAMES, type Alarm, type Incident, type StageHandler, type StageName, type Tenant } from "@ir/core";
import { embedStage } from "@ir/embed";
import { enrichStage } from "@ir/enrich";
import { ingestStage } from "@ir/ingest";
import { matchStage, seedGlobalRunbooks } from "@ir/match";
import { DELIVERY_HEADER, notifyStage } from "@ir/notify";
import { stageLambda } from "../src/lambda/stage-lambda";
import type { AwsPorts } from "../src/ports";
import { DIMENSIONS, useAwsEnvironment } from "./support/environment";
import { EventSourceMappings, lambdaContext, stageQueuesEmpty, toRecord, type SqsHandler } from "./support/event-source";
import { fakeEmbedding } from "./support/openai-stand-in";
import { waitFor } from "./support/wait";

/**
 * SQS and EventBridge deliver at least once. Each stage guards its events as cheaply as is safe
 * (src/lambda/processed-events.ts); these tests fail if a guard is weakened past that: an alarm counted twice,
 * or a page sent twice.
 */
const aws = useAwsEnvironment();
const STAGE_HANDLERS: Record<StageName, StageHandler> = { ingest: ingestStage, embed: embedStage, match: matchStage, enrich: enrichStage, notify: notifyStage };

let ports: AwsPorts;
let handlers: Record<StageName, SqsHandler>;
const hook = { url: "", posts: [] as Array<{ delivery: string; change: string }>, close: async () => {} };

beforeAll(async () => {
  // The webhook receiver is on loopback, which the AWS runtime refuses in production.
  ports = { ...aws.ports, settings: { ...aws.ports.settings, allowPrivateTargets: true } };
  handlers = Object.fromEntries(STAGE_NAMES.map((s) => [s, stageLambda(s, STAGE_HANDLERS[s], ports) as unknown as SqsHandler])) as Record<StageName, SqsHandler>;
  await seedGlobalRunbooks(ports);
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    // Slow enough that two deliveries of one send overlap.
    req.on("end", () => setTimeout(() => {
      hook.posts.push({ delivery: String(req.headers[DELIVERY_HEADER.toLowerCase()]), change: JSON.parse(body).change });
      res.end("ok");
    }, 200));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  hook.close = () => new Promise((r) => server.close(() => r()));
});
afterAll(async () => { await hook.close(); });

async function tenantWithWebhook(name: string): Promise<Tenant> {
  const { tenant, key } = newTenant(ports, { name, plan: "enterprise" });
  tenant.settings.notifications.channels = [{ type: "webhook", url: hook.url }];
  await ports.tenants.create(tenant, key);
  return tenant;
}

const alarmOf = (tenant: Tenant, id: string, error: string): Alarm => {
  const at = new Date().toISOString();
  return { alarm_id: id, tenant_id: tenant.tenant_id, source: "http", service: "checkout", severity: "HIGH", metadata: {}, occurred_at: at, received_at: at, error };
};

const incidentsOf = async (tenantId: string) => (await ports.incidents.list(tenantId, { limit: 10 })).items as Incident[];
const countedOnce = (i: Incident) => {
  const ids = i.history.filter((h) => h.event === "created" || h.event === "recurred").map((h) => h.alarm_id);
  return new Set(ids).size === ids.length;
};

describe("every pipeline event delivered twice", () => {
  it("counts each alarm once and sends each notification once", async () => {
    const tenant = await tenantWithWebhook("twice");
    aws.env.eventBridge.state.copies = 2;
    // SQS message ids each event arrived in, by stage: the copies are separate messages, a retry is the same one.
    const copies = new Map<string, Set<string>>();
    const counted = {} as Record<StageName, SqsHandler>;
    for (const s of STAGE_NAMES) counted[s] = (event) => {
      for (const r of event.Records) {
        const key = `${s} ${JSON.parse(r.body).detail.id}`;
        copies.set(key, (copies.get(key) ?? new Set()).add(r.messageId));
      }
      // A copy that finds the other's claim comes back once that claim would expire, at its invocation's
      // deadline: a shorter Lambda timeout than the default minute keeps the wait for every copy short.
      return handlers[s](event, lambdaContext(20_000));
    };
    const mappings = new EventSourceMappings(aws.env.sqs, aws.env.emulators.queues, counted, { concurrency: 2, batchSize: 4 });
    mappings.start();
    try {
      const error = (n: number) => `Connection pool exhausted: ${40 + n}/50 connections in use`;
      const decided = (ids: string[]) => waitFor("outcomes", async () => {
        for (const id of ids) if ((await ports.alarms.get(tenant.tenant_id, id))?.status === "queued") return false;
        return true;
      }, 45_000);
      await ports.alarms.accept(alarmOf(tenant, "alm_twice_1", error(1)), undefined);
      await decided(["alm_twice_1"]);
      await waitFor("the opening page", () => hook.posts.length > 0, 20_000);
      await ports.alarms.accept(alarmOf(tenant, "alm_twice_2", error(2)), undefined);
      await ports.alarms.accept(alarmOf(tenant, "alm_twice_3", error(3)), undefined);
      await decided(["alm_twice_2", "alm_twice_3"]);
      await waitFor("three occurrences", async () => (await incidentsOf(tenant.tenant_id))[0]?.occurrences === 3);
      // Only once no copy is left, waiting or in flight, can "nothing was done twice" be checked.
      await waitFor("every copy handled", () => stageQueuesEmpty(aws.env.sqs, aws.env.emulators.queues), 45_000);

      expect([...copies].filter(([, ids]) => ids.size < 2).map(([key]) => key), "events that arrived only once").toEqual([]);
      expect(new Set([...copies.keys()].map((key) => key.split(" ")[0]))).toEqual(new Set(["embed", "match", "enrich", "notify"]));
      const incidents = await incidentsOf(tenant.tenant_id);
      expect(incidents).toHaveLength(1);
      expect(incidents[0].occurrences).toBe(3);
      expect(countedOnce(incidents[0])).toBe(true);
      expect(await ports.usage.get(tenant.tenant_id, monthOf(new Date().toISOString()))).toMatchObject({ alarms: 3, incidents: 1 });
      // Opened pages once; recurrences within the policy's update interval page nobody.
      expect(hook.posts.map((p) => p.change)).toEqual(["opened"]);
      expect(hook.posts[0].delivery).toMatch(/notification\.send$/);
    } finally {
      aws.env.eventBridge.state.copies = 1;
      await mappings.stop();
    }
  }, 90_000);
});

describe("a late redelivery to match", () => {
  it("is not counted again after its alarm has left the incident's history", async () => {
    const { tenant, key } = newTenant(ports, { name: "late", plan: "enterprise" });
    await ports.tenants.create(tenant, key);
    const masked = "Disk /var/lib/data is <num>% full";
    // One problem, one fingerprint: the first opens the incident, the rest recur (the history keeps the last 20).
    const events = Array.from({ length: 24 }, (_, i) => makeEvent("alarm.embedded", tenant.tenant_id, `alm_late_${i}`, {
      alarm: alarmOf(tenant, `alm_late_${i}`, masked.replace("<num>", String(90 + (i % 10)))),
      masked, fingerprint: "fp-late", vector: i === 0 ? encodeVector(fakeEmbedding(masked, DIMENSIONS)) : "",
    }, new Date().toISOString()));
    const deliver = async (n: number, messageId: string) => {
      const e = events[n];
      const record = toRecord({
        MessageId: messageId, ReceiptHandle: `rh-${messageId}`, Body: JSON.stringify({ version: "0", id: messageId, "detail-type": e.type, source: "incident-responder", detail: e }),
        Attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()) },
      }, aws.env.emulators.queues.match.arn);
      expect(await handlers.match({ Records: [record] }, lambdaContext())).toEqual({ batchItemFailures: [] });
    };
    for (let i = 0; i < events.length; i++) await deliver(i, `m-late-${i}`);
    const [before] = await incidentsOf(tenant.tenant_id);
    expect(before.occurrences).toBe(24);
    expect(before.history.some((h) => h.alarm_id === "alm_late_1")).toBe(false);

    await deliver(1, "m-late-1-again");

    const [after] = await incidentsOf(tenant.tenant_id);
    expect(after.occurrences).toBe(24);
    expect(countedOnce(after)).toBe(true);
    expect((await ports.usage.get(tenant.tenant_id, monthOf(new Date().toISOString()))).alarms).toBe(24);
  }, 60_000);
});
