import { randomUUID } from "node:crypto";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { routingRules, type StageName } from "@ir/core";
import { jsonServer, REGION } from "./emulators";

export interface PutEntry { Source: string; DetailType: string; Detail: string; EventBusName: string }

/**
 * No EventBridge emulator exists here (fauxqs covers SQS/SNS/S3 only), so this speaks just PutEvents
 * (AWS JSON 1.1) and applies the rules the SST stacks create: one per (event type → stage) from
 * `routingRules()`, matching `source` and `detail-type`, delivering the whole event to the stage's queue
 * as EventBridge does. `failNext` rejects that many entries with an error code, as PutEvents does under load;
 * `copies` delivers every event that many times, as EventBridge's at-least-once delivery may.
 */
export async function startEventBridgeStandIn(opts: { busName: string; queues: Record<StageName, { url: string }>; sqsEndpoint: string }) {
  const sqs = new SQSClient({ endpoint: opts.sqsEndpoint, region: REGION, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const rules = routingRules();
  const received: PutEntry[] = [];
  const state = { failNext: 0, calls: 0, copies: 1 };
  const server = await jsonServer(async (method, _path, body, headers) => {
    if (method !== "POST" || headers["x-amz-target"] !== "AWSEvents.PutEvents") return [400, { __type: "UnknownOperationException" }];
    state.calls++;
    const entries = body.Entries as PutEntry[];
    if (entries.length > 10) return [400, { __type: "ValidationException", message: "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10" }];
    const results = [];
    for (const entry of entries) {
      if (state.failNext > 0) { state.failNext--; results.push({ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }); continue; }
      if (entry.EventBusName !== opts.busName) { results.push({ ErrorCode: "ResourceNotFoundException", ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` }); continue; }
      received.push(entry);
      const id = randomUUID();
      const envelope = {
        version: "0", id, "detail-type": entry.DetailType, source: entry.Source, account: "000000000000",
        time: new Date().toISOString(), region: REGION, resources: [], detail: JSON.parse(entry.Detail),
      };
      for (const rule of rules) {
        if (rule.event === entry.DetailType && entry.Source === "incident-responder") {
          for (let copy = 0; copy < state.copies; copy++) {
            await sqs.send(new SendMessageCommand({ QueueUrl: opts.queues[rule.stage].url, MessageBody: JSON.stringify(envelope) }));
          }
        }
      }
      results.push({ EventId: id });
    }
    const failed = results.filter((r) => "ErrorCode" in r).length;
    return [200, { FailedEntryCount: failed, Entries: results }, { "content-type": "application/x-amz-json-1.1" }];
  });
  return { url: server.url, received, state, close: async () => { sqs.destroy(); await server.close(); } };
}
