import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent, type PipelineEvent } from "@ir/core";
import { newTenant } from "@ir/api";
import { ingestStage } from "@ir/ingest";
import { SqsDeadLetters } from "../src/adapters/dead-letters";
import type { SqsLazy } from "../src/clients";
import { LazyClient } from "../src/sdk/lazy-client";
import { ProcessedEvents } from "../src/lambda/processed-events";
import { runBatch } from "../src/lambda/sqs-batch";
import type { SourceQueues } from "../src/lambda/source-queues";
import type { AwsPorts } from "../src/ports";
import { useAwsEnvironment, BUS } from "./support/environment";
import { messagesIn } from "./support/event-source";
import { waitFor } from "./support/wait";

const aws = useAwsEnvironment();

const changed = (i: number, tenant = "tb"): PipelineEvent =>
  makeEvent("incident.changed", tenant, `alm_${i}`, { incident_id: `inc_${i}`, changes: ["opened"] }, "2024-02-12T10:30:00.000Z");

const receiveAll = async (url: string) => {
  const out = await aws.env.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageAttributeNames: ["All"] }));
  return out.Messages ?? [];
};

describe("Bus on EventBridge PutEvents", () => {
  it("sends batches of at most 10 entries, routed by the graph's rules to the consuming stage's queue", async () => {
    const calls = aws.env.eventBridge.state.calls;
    await aws.ports.bus.publish(Array.from({ length: 23 }, (_, i) => changed(i)));
    expect(aws.env.eventBridge.state.calls - calls).toBe(3);
    const last = aws.env.eventBridge.received.at(-1)!;
    expect(last).toMatchObject({ Source: "incident-responder", DetailType: "incident.changed", EventBusName: BUS });
    const [m] = await waitFor("a routed message", () => receiveAll(aws.env.emulators.queues.notify.url).then((ms) => (ms.length ? ms : undefined)));
    const envelope = JSON.parse(m.Body!);
    expect(envelope["detail-type"]).toBe("incident.changed");
    expect(envelope.detail.type).toBe("incident.changed");
  });

  it("resends only the entries PutEvents rejected", async () => {
    const before = aws.env.eventBridge.received.length;
    aws.env.eventBridge.state.failNext = 2;
    await aws.ports.bus.publish([changed(100), changed(101), changed(102)]);
    const ids = aws.env.eventBridge.received.slice(before).map((e) => JSON.parse(e.Detail).id);
    expect(ids.sort()).toEqual(["alm_100:incident.changed", "alm_101:incident.changed", "alm_102:incident.changed"]);
  });

  it("throws when entries keep failing, so the SQS record is retried", async () => {
    aws.env.eventBridge.state.failNext = 100;
    await expect(aws.ports.bus.publish([changed(200)])).rejects.toThrow(/ThrottlingException/);
    aws.env.eventBridge.state.failNext = 0;
  });
});

describe("DeadLetters on the SQS DLQs", () => {
  it("catalogues what waits in the DLQs (with or without a reason), lists per tenant and replays", async () => {
    const event = changed(300, "td");
    const envelope = { version: "0", id: "x", "detail-type": event.type, source: "incident-responder", detail: event };
    await aws.env.sqs.send(new SendMessageCommand({
      QueueUrl: aws.env.emulators.deadLetterQueues.notify.url, MessageBody: JSON.stringify(envelope),
      MessageAttributes: {
        "ir-reason": { DataType: "String", StringValue: "slack said 404" },
        "ir-dead-letter": { DataType: "String", StringValue: JSON.stringify({ stage: "notify", tenant_id: "td", event_type: "incident.changed", attempts: 8, failed_at: "2024-02-12T10:31:00.000Z" }) },
      },
    }));
    // Moved by the redrive policy: no reason attached, tenant read from the event itself.
    await aws.env.sqs.send(new SendMessageCommand({ QueueUrl: aws.env.emulators.deadLetterQueues.notify.url, MessageBody: JSON.stringify({ ...envelope, detail: changed(301, "td") }) }));
    await aws.env.sqs.send(new SendMessageCommand({
      QueueUrl: aws.env.emulators.deadLetterQueues.ingest.url, MessageBody: "{not json",
      MessageAttributes: { "ir-api-key": { DataType: "String", StringValue: "ir_live_x" }, "ir-reason": { DataType: "String", StringValue: "body is not JSON" } },
    }));

    const page = await aws.ports.deadLetters.list("td", { limit: 10 });
    expect(page.items).toHaveLength(2);
    const withReason = page.items.find((d) => d.reason === "slack said 404")!;
    expect(withReason).toMatchObject({ stage: "notify", tenant_id: "td", event_type: "incident.changed", attempts: 8 });
    expect(page.items.find((d) => d.id !== withReason.id)?.reason).toMatch(/maxReceiveCount/);
    const all = await aws.ports.deadLetters.list(null, { limit: 10 });
    expect(all.items.map((d) => d.stage).sort()).toEqual(["ingest", "notify", "notify"]);
    // Counted, not received: the sweep's receive hides what it did not delete for 60 s, and a receive would miss it.
    expect(await messagesIn(aws.env.sqs, aws.env.emulators.deadLetterQueues.notify.url)).toBe(0);

    expect(await aws.ports.deadLetters.replay("other-tenant", withReason.id)).toBe(false);
    const before = aws.env.eventBridge.received.length;
    expect(await aws.ports.deadLetters.replay("td", withReason.id)).toBe(true);
    expect(JSON.parse(aws.env.eventBridge.received[before].Detail).id).toBe("alm_300:incident.changed");
    expect((await aws.ports.deadLetters.list("td", { limit: 10 })).items).toHaveLength(1);

    const ingest = all.items.find((d) => d.stage === "ingest")!;
    expect(await aws.ports.deadLetters.replay(null, ingest.id)).toBe(true);
    const [again] = await waitFor("replayed raw message", () => receiveAll(aws.env.emulators.ingestQueueUrl).then((ms) => (ms.length ? ms : undefined)));
    expect(again.Body).toBe("{not json");
    expect(again.MessageAttributes?.["ir-api-key"]?.StringValue).toBe("ir_live_x");
  });

  it("replays a forwarded CloudWatch event that ingest dead-lettered to the forwarded-alarms queue, where its account names the tenant", async () => {
    const forwarded = (await aws.env.sqs.send(new CreateQueueCommand({ QueueName: "ir-test-ingest-forwarded" }))).QueueUrl!;
    const config = { ...aws.ports.config, ingestForwardedQueueUrl: forwarded };
    // A forwarded event from an account no tenant has registered yet: Poison, dead-lettered.
    const record: SQSRecord = {
      messageId: "fwd-1", receiptHandle: "rh-fwd-1", body: JSON.stringify({ "detail-type": "CloudWatch Alarm State Change", source: "aws.cloudwatch", account: "123456789012", detail: {} }),
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()), SenderId: "0", ApproximateFirstReceiveTimestamp: String(Date.now()) },
      messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:ir-test-ingest-forwarded", awsRegion: "us-east-1",
    };
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } } as never;
    const deps = { stage: "ingest" as const, handler: ingestStage, ports: { ...aws.ports, config } as AwsPorts, processed: new ProcessedEvents(aws.ports.table), queues: {} as SourceQueues };
    expect(await runBatch(deps, [record], Date.now() + 30_000, quiet)).toEqual([]);

    const deadLetters = new SqsDeadLetters(aws.ports.clients.sqs, aws.ports.table, aws.ports.bus, { ingest: config.ingestQueueUrl, forwarded, deadLetters: config.deadLetterQueueUrls });
    const letter = (await deadLetters.list(null, { limit: 50 })).items.find((d) => d.reason.includes("123456789012"))!;
    expect(letter).toMatchObject({ stage: "ingest", event_type: "source.raw" });
    expect(await deadLetters.replay(null, letter.id)).toBe(true);
    const [again] = await waitFor("replayed forwarded event", () => receiveAll(forwarded).then((ms) => (ms.length ? ms : undefined)));
    expect(JSON.parse(again.Body!).account).toBe("123456789012");
    expect((await receiveAll(aws.env.emulators.ingestQueueUrl)).map((m) => m.Body)).not.toContain(record.body);
  });

  it("replays a forwarded event that SQS's own redrive moved (a crash, a timeout) to the forwarded-alarms queue too", async () => {
    const forwarded = (await aws.env.sqs.send(new CreateQueueCommand({ QueueName: "ir-test-ingest-forwarded-redriven" }))).QueueUrl!;
    const body = JSON.stringify({ "detail-type": "CloudWatch Alarm State Change", source: "aws.cloudwatch", account: "210987654321", detail: { crashed: true } });
    // What the redrive leaves: the body as sent, no reason or details of ours, the source queue in a system attribute
    // (which fauxqs does not set: added here as SQS would).
    await aws.env.sqs.send(new SendMessageCommand({ QueueUrl: aws.ports.config.deadLetterQueueUrls.ingest, MessageBody: body }));
    const sqs: SqsLazy = new LazyClient(() => import("../src/sdk/sqs"), (sdk) => {
      const client = new sdk.SQSClient({});
      client.middlewareStack.add((next) => async (args) => {
        const out = await next(args);
        for (const m of (out.output as { Messages?: Message[] }).Messages ?? []) m.Attributes = { ...m.Attributes, DeadLetterQueueSourceArn: "arn:aws:sqs:us-east-1:000000000000:ir-test-ingest-forwarded-redriven" };
        return out;
      }, { step: "initialize" });
      return client;
    });
    const deadLetters = new SqsDeadLetters(sqs, aws.ports.table, aws.ports.bus, { ingest: aws.ports.config.ingestQueueUrl, forwarded, deadLetters: aws.ports.config.deadLetterQueueUrls });
    const letter = (await deadLetters.list(null, { limit: 50 })).items.find((d) => d.body === body)!;
    expect(letter).toMatchObject({ stage: "ingest", reason: expect.stringContaining("maxReceiveCount") });
    expect(await deadLetters.replay(null, letter.id)).toBe(true);
    const [again] = await waitFor("replayed redriven event", () => receiveAll(forwarded).then((ms) => (ms.length ? ms : undefined)));
    expect(again.Body).toBe(body);
    expect((await receiveAll(aws.env.emulators.ingestQueueUrl)).map((m) => m.Body)).not.toContain(body);
  });

  it("lists a raw message ingest dead-lettered after its key named a tenant to that tenant, which can replay it", async () => {
    const { tenant, key, apiKey } = newTenant(aws.ports, { name: "dl-owner", plan: "enterprise" });
    await aws.ports.tenants.create(tenant, key);
    const record: SQSRecord = {
      messageId: "raw-owned-1", receiptHandle: "rh-raw-owned-1", body: JSON.stringify({ hello: "not an alarm" }),
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()), SenderId: "0", ApproximateFirstReceiveTimestamp: String(Date.now()) },
      messageAttributes: { "ir-api-key": { stringValue: apiKey, dataType: "String", stringListValues: [], binaryListValues: [] } },
      md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:ir-ingest", awsRegion: "us-east-1",
    };
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } } as never;
    const deps = { stage: "ingest" as const, handler: ingestStage, ports: aws.ports, processed: new ProcessedEvents(aws.ports.table), queues: {} as SourceQueues };
    expect(await runBatch(deps, [record], Date.now() + 30_000, quiet)).toEqual([]);

    const [letter] = (await aws.ports.deadLetters.list(tenant.tenant_id, { limit: 10 })).items;
    expect(letter).toMatchObject({ stage: "ingest", tenant_id: tenant.tenant_id, reason: expect.stringContaining("not an incident report") });
    expect(await aws.ports.deadLetters.replay(tenant.tenant_id, letter.id)).toBe(true);
  });
});
