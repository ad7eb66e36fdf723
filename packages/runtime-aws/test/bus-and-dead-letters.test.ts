import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent, type PipelineEvent } from "@ir/core";
import { useAwsEnvironment, BUS } from "./support/environment";
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
    expect(await receiveAll(aws.env.emulators.deadLetterQueues.notify.url)).toEqual([]);

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
});
