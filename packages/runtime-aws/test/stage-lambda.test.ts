import { loadConfig } from "../src/config";
import { createAwsPorts } from "../src/ports";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent, Poison, RetryLater, STAGE_NAMES, STAGES, type NotificationSend, type PipelineEvent, type StageHandler, type StageName } from "@ir/core";
import { guardOf } from "../src/lambda/processed-events";
import { stageLambda } from "../src/lambda/stage-lambda";
import { pk, sk } from "../src/table";
import { useAwsEnvironment } from "./support/environment";
import { lambdaContext, toRecord } from "./support/event-source";
import { waitFor } from "./support/wait";

const aws = useAwsEnvironment();

const AT = "2024-02-12T10:30:00.000Z";
const decided = (n: number, tenant = "tl"): PipelineEvent =>
  makeEvent("incident.decided", tenant, `alm_${n}`, {
    alarm: { alarm_id: `alm_${n}`, tenant_id: tenant, source: "http", error: "boom", service: "api", severity: "HIGH", metadata: {}, occurred_at: AT, received_at: AT },
    outcome: { alarm_id: `alm_${n}`, status: "new", incident_id: `inc_${n}`, occurrences: 1, severity: "HIGH", runbooks: [], recommendations: [], match: { method: "none", score: 0 } },
    changes: ["opened"],
  }, AT);
const embedded = (n: number, service: string, tenant = "tl"): PipelineEvent =>
  makeEvent("alarm.embedded", tenant, `alm_${n}`, {
    alarm: { alarm_id: `alm_${n}`, tenant_id: tenant, source: "http", error: "boom", service, severity: "HIGH", metadata: {}, occurred_at: AT, received_at: AT },
    masked: "boom", fingerprint: "fp", vector: "",
  }, AT);
const changed = (n: number, tenant = "tl"): PipelineEvent =>
  makeEvent("incident.changed", tenant, `alm_${n}`, { incident_id: `inc_${n}`, changes: ["opened"], alarm_id: `alm_${n}` }, AT);
const send: NotificationSend = { incident_id: "inc_1", change: "opened", channel: { type: "pagerduty", id: "3f2a9c" }, payload: {} };
const envelope = (e: PipelineEvent) => JSON.stringify({ version: "0", id: "e", "detail-type": e.type, source: "incident-responder", detail: e });

/** Puts bodies on a stage's queue and receives them back as Lambda records (so receipt handles are real). */
async function recordsFor(stage: StageName, bodies: string[], visibility = 30) {
  const { url, arn } = aws.env.emulators.queues[stage];
  for (const body of bodies) await aws.env.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  const got = [];
  while (got.length < bodies.length) {
    const out = await aws.env.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: visibility, MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] }));
    // Other tests' published events land on these queues too: take only ours.
    got.push(...(out.Messages ?? []).filter((m) => bodies.includes(m.Body ?? "")));
  }
  return got.map((m) => toRecord(m, arn));
}

const publishedSince = (before: number) => aws.env.eventBridge.received.slice(before).map((e) => JSON.parse(e.Detail).id as string);
const processed = (stage: StageName, e: PipelineEvent) => aws.ports.table.get({ pk: pk.tenant(e.tenant_id), sk: sk.processed(stage, e.id) });

const dlqMessages = async (stage: StageName) => {
  const out = await aws.env.sqs.send(new ReceiveMessageCommand({ QueueUrl: aws.env.emulators.deadLetterQueues[stage].url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageAttributeNames: ["All"] }));
  return out.Messages ?? [];
};

describe("stage Lambda: one SQS batch", () => {
  it("marks an event done only after publishing its outputs: a redelivery neither runs the stage nor publishes again", async () => {
    let runs = 0;
    const stage: StageHandler = async (event) => { runs++; return [makeEvent("notification.send", event.tenant_id, "alm_1:incident.changed:0", send, AT)]; };
    const handler = stageLambda("notify", stage, aws.ports);
    const event = changed(1);
    const [record] = await recordsFor("notify", [envelope(event)]);
    const before = aws.env.eventBridge.received.length;
    expect(await handler({ Records: [record] }, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await handler({ Records: [record] }, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(runs).toBe(1);
    expect(publishedSince(before)).toEqual(["alm_1:incident.changed:0:notification.send"]);
    // The record says only "done": the outputs went out before it was written.
    const done = await processed("notify", event);
    expect(done).toMatchObject({ status: "done" });
    expect(done?.outputs).toBeUndefined();
  });

  it("does not mark an event done when publishing failed: the retry runs the stage again and publishes the same ids", async () => {
    let runs = 0;
    const stage: StageHandler = async (event) => { runs++; return [makeEvent("notification.send", event.tenant_id, "alm_2:incident.changed:0", send, AT)]; };
    const down = { ...aws.ports, bus: { publish: async () => { throw new Error("EventBridge is down"); } } };
    const event = changed(2);
    const [record] = await recordsFor("notify", [envelope(event)]);
    expect((await stageLambda("notify", stage, down)({ Records: [record] }, lambdaContext())).batchItemFailures).toHaveLength(1);
    expect(await processed("notify", event)).toBeUndefined();
    const before = aws.env.eventBridge.received.length;
    expect(await stageLambda("notify", stage, aws.ports)({ Records: [record] }, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(runs).toBe(2);
    expect(publishedSince(before)).toEqual(["alm_2:incident.changed:0:notification.send"]);
  });

  it("republishes the outputs a done record of the previous version carries, without running the stage", async () => {
    let runs = 0;
    const handler = stageLambda("notify", async () => { runs++; return []; }, aws.ports);
    const event = changed(3);
    const output = makeEvent("notification.send", "tl", "alm_3:incident.changed:0", send, AT);
    await aws.ports.table.put({ pk: pk.tenant("tl"), sk: sk.processed("notify", event.id), status: "done", outputs: JSON.stringify([output]) });
    const [record] = await recordsFor("notify", [envelope(event)]);
    const before = aws.env.eventBridge.received.length;
    expect(await handler({ Records: [record] }, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(runs).toBe(0);
    expect(publishedSince(before)).toEqual([output.id]);
  });

  it("runs a stage whose writes are idempotent again on redelivery, keeping no record, and emits the same event ids", async () => {
    let runs = 0;
    const stage: StageHandler = async (event) => { runs++; return [makeEvent("incident.changed", event.tenant_id, "alm_4", { incident_id: "inc_4", changes: ["opened"] }, AT)]; };
    const handler = stageLambda("enrich", stage, aws.ports);
    const event = decided(4);
    const [record] = await recordsFor("enrich", [envelope(event)]);
    const before = aws.env.eventBridge.received.length;
    await handler({ Records: [record] }, lambdaContext());
    await handler({ Records: [record] }, lambdaContext());
    expect(runs).toBe(2);
    expect(publishedSince(before)).toEqual(["alm_4:incident.changed", "alm_4:incident.changed"]);
    expect(await processed("enrich", event)).toBeUndefined();
  });

  it("claims a notification send, so two overlapping deliveries of it run the stage once", async () => {
    let runs = 0;
    // The run that claims holds on until the other invocation has returned, so the two overlap however they are
    // scheduled; a second run (the claim failed) lets go at once, so the test fails rather than hangs.
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    const stage: StageHandler = async () => { if (++runs > 1) release(); await held; return []; };
    const handlers = [stageLambda("notify", stage, aws.ports), stageLambda("notify", stage, createAwsPorts(loadConfig()))];
    const event = makeEvent("notification.send", "tl", "alm_5:incident.changed:0", send, AT);
    // Two SQS messages carrying one event, as an EventBridge retry or an SQS duplicate would deliver them.
    const records = await recordsFor("notify", [envelope(event), JSON.stringify({ ...JSON.parse(envelope(event)), id: "again" })]);
    const invocations = records.map((r, i) => handlers[i]({ Records: [r] }, lambdaContext()));
    void Promise.race(invocations).then(release, release);
    const results = await Promise.all(invocations);
    expect(runs).toBe(1);
    expect(results.flatMap((r) => r.batchItemFailures)).toHaveLength(1);
    // The loser comes back after the winner finished: done, not run again.
    const loser = records.find((r) => results.some((res) => res.batchItemFailures.some((f) => f.itemIdentifier === r.messageId)))!;
    expect(await handlers[0]({ Records: [loser] }, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(runs).toBe(1);
  });

  it("guards every event a stage consumes, claiming only where overlapping runs would repeat an outside effect", () => {
    const guards = Object.fromEntries(STAGE_NAMES.flatMap((s) => STAGES[s].consumes.map((t) => [`${s}:${t}`, guardOf(s, t)])));
    expect(guards).toEqual({
      "ingest:source.raw": "none", "embed:alarm.received": "none", "match:alarm.embedded": "record", "match:alarm.resolved": "record",
      "enrich:incident.decided": "none", "notify:incident.changed": "record", "notify:notification.send": "claim",
    });
    // match's record without a claim is enough only because its runs for one (tenant, service) never overlap.
    expect(STAGES.match.ordered).toBe(true);
  });

  it("answers RetryLater with a batch item failure and the delay as the message's visibility", async () => {
    const handler = stageLambda("enrich", async () => { throw new RetryLater("429 from Slack", 1000); }, aws.ports);
    const [record] = await recordsFor("enrich", [envelope(decided(2))], 60);
    const res = await handler({ Records: [record] }, lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    // Visible again after about a second, not after the 60 s it was received with.
    const again = await waitFor("the message to come back", async () => {
      const out = await aws.env.sqs.send(new ReceiveMessageCommand({ QueueUrl: aws.env.emulators.queues.enrich.url, MaxNumberOfMessages: 1, VisibilityTimeout: 60 }));
      return out.Messages?.[0];
    }, 5000);
    expect(again.MessageId).toBe(record.messageId);
  });

  it.each(["embed", "match"] as const)("keeps a rate-limited %s record past maxAttempts while it is inside the stage's retry window", async (stage) => {
    const handler = stageLambda(stage, async () => { throw new RetryLater("429 Too Many Requests", 1000); }, aws.ports);
    const now = new Date().toISOString();
    const alarm = { alarm_id: `alm_rl_${stage}`, tenant_id: "tl", source: "http" as const, error: "boom", service: "api", severity: "HIGH" as const, metadata: {}, occurred_at: now, received_at: now };
    const event = stage === "embed"
      ? makeEvent("alarm.received", "tl", alarm.alarm_id, alarm, now)
      : makeEvent("alarm.embedded", "tl", alarm.alarm_id, { alarm, masked: "boom", fingerprint: "fp", vector: "" }, now);
    const [record] = await recordsFor(stage, [envelope(event)]);
    const spent = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(STAGES[stage].maxAttempts + 3) } };
    // Failed for a retry, not dead-lettered: the limit lifts within minutes.
    expect((await handler({ Records: [spent] }, lambdaContext())).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect((await dlqMessages(stage)).some((m) => JSON.parse(m.Body!).detail.id === event.id)).toBe(false);
  });

  it("sends Poison to the stage's DLQ with the reason and does not fail the record", async () => {
    const handler = stageLambda("enrich", async () => { throw new Poison("webhook URL points at 10.0.0.1"); }, aws.ports);
    const [record] = await recordsFor("enrich", [envelope(decided(3))]);
    expect((await handler({ Records: [record] }, lambdaContext())).batchItemFailures).toEqual([]);
    const [m] = await waitFor("dead letter", () => dlqMessages("enrich").then((ms) => (ms.length ? ms : undefined)));
    expect(m.MessageAttributes?.["ir-reason"]?.StringValue).toBe("webhook URL points at 10.0.0.1");
    expect(JSON.parse(m.MessageAttributes!["ir-dead-letter"].StringValue!)).toMatchObject({ stage: "enrich", tenant_id: "tl", event_type: "incident.decided" });
    expect(JSON.parse(m.Body!).detail.id).toBe("alm_3:incident.decided");
  });

  it.each([
    ["a body that is not JSON", "{oops"],
    ["an event of a type the stage does not consume", envelope(embedded(4, "api"))],
    ["an event that fails its schema", JSON.stringify({ "detail-type": "incident.decided", source: "incident-responder", detail: { ...decided(5), data: { alarm: 1 } } })],
  ])("dead-letters %s without running the stage", async (_, body) => {
    let runs = 0;
    const handler = stageLambda("notify", async () => { runs++; return []; }, aws.ports);
    const [record] = await recordsFor("notify", [body]);
    const res = await handler({ Records: [record] }, lambdaContext());
    expect(runs).toBe(0);
    expect(res.batchItemFailures).toEqual([]);
    await waitFor("dead letter", () => dlqMessages("notify").then((ms) => ms.some((m) => m.Body === body)));
  });

  it("fails other errors for a retry with backoff, and dead-letters them at the stage's maxAttempts", async () => {
    const handler = stageLambda("enrich", async () => { throw new Error("S3 is having a day"); }, aws.ports);
    const [record] = await recordsFor("enrich", [envelope(decided(6))]);
    expect((await handler({ Records: [record] }, lambdaContext())).batchItemFailures).toHaveLength(1);
    const exhausted = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(STAGES.enrich.maxAttempts) } };
    expect((await handler({ Records: [exhausted] }, lambdaContext())).batchItemFailures).toEqual([]);
    const dead = await waitFor("dead letter", () => dlqMessages("enrich").then((ms) => ms.find((m) => JSON.parse(m.Body!).detail.id === "alm_6:incident.decided")));
    expect(dead.MessageAttributes?.["ir-reason"]?.StringValue).toMatch(/failed 5 times; last error: Error: S3 is having a day/);
  });

  it("returns before the Lambda timeout, failing only the records it could not finish", async () => {
    const handler = stageLambda("enrich", async (event) => {
      if (event.id.startsWith("alm_8")) await new Promise((r) => setTimeout(r, 30_000));
      return [];
    }, aws.ports);
    const records = await recordsFor("enrich", [envelope(decided(7)), envelope(decided(8))]);
    const started = Date.now();
    const res = await handler({ Records: records }, lambdaContext(3000));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([records[1].messageId]);
  });

  it("serializes an ordered stage per (tenant, service) across concurrent invocations, and runs other services in parallel", async () => {
    const active = new Map<string, number>();
    const maxActive = new Map<string, number>();
    let overall = 0, maxOverall = 0;
    const stage: StageHandler = async (event) => {
      const service = (event.data as { alarm: { service: string } }).alarm.service;
      active.set(service, (active.get(service) ?? 0) + 1);
      overall++;
      maxActive.set(service, Math.max(maxActive.get(service) ?? 0, active.get(service)!));
      maxOverall = Math.max(maxOverall, overall);
      await new Promise((r) => setTimeout(r, 40));
      active.set(service, active.get(service)! - 1);
      overall--;
      return [];
    };
    const handlers = [stageLambda("match", stage, aws.ports), stageLambda("match", stage, createAwsPorts(loadConfig()))];
    const records = await recordsFor("match", Array.from({ length: 12 }, (_, i) => envelope(embedded(100 + i, i % 3 === 2 ? "db" : "api"))));
    const batches = [0, 1, 2, 3].map((b) => records.slice(b * 3, b * 3 + 3));
    const results = await Promise.all(batches.map((records, i) => handlers[i % 2]({ Records: records }, lambdaContext())));
    expect(results.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(maxActive.get("api")).toBe(1);
    expect(maxActive.get("db")).toBe(1);
    expect(maxOverall).toBe(2);
  });
});
