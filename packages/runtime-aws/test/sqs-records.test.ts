import { describe, expect, it } from "vitest";
import type { SQSRecord } from "aws-lambda";
import { eventFromRecord } from "../src/lambda/sqs-records";

const record = (queue: string, body: unknown, attributes: Record<string, string>): SQSRecord => ({
  messageId: "m-1", receiptHandle: "r", body: JSON.stringify(body), md5OfBody: "", eventSource: "aws:sqs", awsRegion: "us-east-1",
  eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
  attributes: { SentTimestamp: "1700000000000" } as SQSRecord["attributes"],
  messageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { stringValue: v, dataType: "String", stringListValues: [], binaryListValues: [] }])),
});
const FORWARDED = "https://sqs.us-east-1.amazonaws.com/000000000000/ir-prod-ingest-forwarded";

describe("ingest records: who may name the tenant", () => {
  it.each([
    ["a producer on the direct-publish queue cannot pose as a forwarded account", "ir-prod-ingest", { "ir-api-key": "ir_live_x", "ir-forwarded": "cloudwatch", "ir-aws-account": "111111111111" }, { "ir-api-key": "ir_live_x" }],
    ["a forwarded event gets its account from the body and loses any key", "ir-prod-ingest-forwarded", { "ir-api-key": "ir_live_x" }, { "ir-forwarded": "cloudwatch", "ir-aws-account": "222222222222" }],
  ])("%s", (_, queue, attrs, expected) => {
    const event = eventFromRecord("ingest", record(queue, { account: "222222222222", "detail-type": "CloudWatch Alarm State Change" }, attrs), FORWARDED);
    expect((event.data as { attributes: Record<string, string> }).attributes).toEqual(expected);
  });
});
