import type { SQSRecord } from "aws-lambda";
import * as z from "zod";
import { AWS_ACCOUNT_ATTRIBUTE, FORWARDED_ATTRIBUTE, makeEvent, parseEvent, Poison, STAGES, type PipelineEvent, type StageName } from "@ir/core";

/** What EventBridge writes to an SQS target: the whole event, ours in `detail`. */
const EventBridgeEnvelope = z.object({
  "detail-type": z.string(),
  source: z.string(),
  detail: z.unknown(),
});

/** Lambda's spelling of SQS message attributes, reduced to their string values (binary ones are not ours). */
export const stringAttributes = (record: SQSRecord): Record<string, string> =>
  Object.fromEntries(Object.entries(record.messageAttributes ?? {})
    .filter(([, v]) => typeof v.stringValue === "string")
    .map(([k, v]) => [k, v.stringValue as string]));

const sentAt = (record: SQSRecord) => {
  const ms = Number(record.attributes?.SentTimestamp);
  return new Date(Number.isFinite(ms) && ms > 0 ? ms : Date.now()).toISOString();
};

/** Attributes the runtime adds to a raw message that came from the forwarded-alarms queue, for ingest to read. */
export { FORWARDED_ATTRIBUTE, AWS_ACCOUNT_ATTRIBUTE };

/** Whether a record came from the queue named by `queueUrl` (its ARN ends with the queue's name). */
export const isFromQueue = (record: SQSRecord, queueUrl: string | undefined) =>
  queueUrl !== undefined && record.eventSourceARN?.endsWith(`:${queueUrl.slice(queueUrl.lastIndexOf("/") + 1)}`);

/**
 * The event a record carries for `stage`. The ingest queue holds producers' raw messages (the tenant's key
 * in the `ir-api-key` attribute), wrapped as `source.raw` with an id from the SQS message id; every other
 * queue is fed by EventBridge rules. A record that is not what its queue should hold is Poison.
 */
export const eventFromRecord = (stage: StageName, record: SQSRecord, forwardedQueueUrl?: string): PipelineEvent => {
  if (stage === "ingest") {
    const at = sentAt(record);
    const attributes = stringAttributes(record);
    // Only this code may set these: a producer on the direct-publish queue must not claim another account.
    delete attributes[FORWARDED_ATTRIBUTE];
    delete attributes[AWS_ACCOUNT_ATTRIBUTE];
    // Customers' CloudWatch events forwarded by an EventBridge rule carry no key: their AWS account names the tenant.
    if (isFromQueue(record, forwardedQueueUrl)) {
      delete attributes["ir-api-key"];
      attributes[FORWARDED_ATTRIBUTE] = "cloudwatch";
      const account = (safeJson(record.body) as { account?: unknown } | undefined)?.account;
      if (typeof account === "string") attributes[AWS_ACCOUNT_ATTRIBUTE] = account;
    }
    return makeEvent("source.raw", "", `sqs:${record.messageId}`, { body: record.body, attributes, received_at: at }, at);
  }
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    throw new Poison("body is not JSON");
  }
  const envelope = EventBridgeEnvelope.safeParse(json);
  if (!envelope.success) throw new Poison(`not an EventBridge event: ${envelope.error.issues[0]?.message ?? "invalid"}`);
  let event: PipelineEvent;
  try {
    event = parseEvent(envelope.data.detail);
  } catch (err) {
    const issue = err instanceof z.ZodError ? err.issues[0] : undefined;
    throw new Poison(issue ? `invalid event: ${issue.path.join(".") || "detail"}: ${issue.message}` : "invalid event");
  }
  if (event.type !== envelope.data["detail-type"]) throw new Poison(`detail-type ${envelope.data["detail-type"]} does not match event type ${event.type}`);
  if (!(STAGES[stage].consumes as readonly string[]).includes(event.type)) throw new Poison(`stage ${stage} does not consume ${event.type} (misrouted)`);
  return event;
};

const safeJson = (text: string): unknown => {
  try { return JSON.parse(text); } catch { return undefined; }
};
