import { routesFor, type EventType } from "@ir/core";
import { LATENCY_MS, PRICES } from "./list-prices";

/** What one or more alarms cost in calls and billable units, by service. */
export interface Usage {
  sqsRequests: number;
  eventBridgeEvents: number;
  s3Puts: number;
  s3Gets: number;
  dynamoCalls: number;
  dynamoWru: number;
  dynamoRru: number;
  pineconeCalls: number;
  pineconeRu: number;
  pineconeWu: number;
  embeddingCalls: number;
  embeddingTokens: number;
  chatCalls: number;
  chatInputTokens: number;
  chatOutputTokens: number;
  apiRequests: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
}

export const emptyUsage = (): Usage => ({
  sqsRequests: 0, eventBridgeEvents: 0, s3Puts: 0, s3Gets: 0, dynamoCalls: 0, dynamoWru: 0, dynamoRru: 0,
  pineconeCalls: 0, pineconeRu: 0, pineconeWu: 0, embeddingCalls: 0, embeddingTokens: 0, chatCalls: 0, chatInputTokens: 0, chatOutputTokens: 0,
  apiRequests: 0, lambdaInvocations: 0, lambdaGbSeconds: 0,
});

export const minus = (a: Usage, b: Usage): Usage => Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof Usage] - b[k as keyof Usage]])) as unknown as Usage;
export const scale = (a: Usage, f: number): Usage => Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof Usage] * f])) as unknown as Usage;
export const plus = (a: Usage, b: Usage): Usage => Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof Usage] + b[k as keyof Usage]])) as unknown as Usage;

/** Dollars by line item at list prices. */
export const dollars = (u: Usage) => ({
  SQS: u.sqsRequests * PRICES.sqsRequest,
  EventBridge: u.eventBridgeEvents * PRICES.eventBridgeEvent,
  S3: u.s3Puts * PRICES.s3Put + u.s3Gets * PRICES.s3Get,
  DynamoDB: u.dynamoWru * PRICES.dynamoWru + u.dynamoRru * PRICES.dynamoRru,
  Pinecone: u.pineconeRu * PRICES.pineconeRu + u.pineconeWu * PRICES.pineconeWu,
  "OpenAI embeddings": u.embeddingTokens * PRICES.embeddingToken,
  "OpenAI chat": u.chatInputTokens * PRICES.chatInputToken + u.chatOutputTokens * PRICES.chatOutputToken,
  "API Gateway": u.apiRequests * PRICES.apiGatewayHttpRequest,
  Lambda: u.lambdaInvocations * PRICES.lambdaRequest + u.lambdaGbSeconds * PRICES.lambdaGbSecond,
});

/** The slice of an AWS SDK v3 client's middleware stack used here (typed loosely: each client has its own generics). */
type Handler = (args: { input: object }) => Promise<{ output: object }>;
type Middleware = (next: Handler, context: object) => Handler;
interface Stackable { middlewareStack: { add(mw: Middleware, opts: { step: "initialize"; name: string }): void } }

const DYNAMO_READ = /^(Get|Query|Scan|BatchGet|TransactGet)/;
const DYNAMO_WRITE = /^(Put|Update|Delete|BatchWrite|TransactWrite)/;
const capacityOf = (c: unknown): number => (Array.isArray(c) ? c.reduce((n, x) => n + capacityOf(x), 0) : Number((c as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0));
const KB = 1024;

/** `tenant#t_1` / `evt#match#alm_1:...` → `evt`: the kind of item a write touched. */
const itemKind = (input: Record<string, unknown>): string => {
  const key = (input.Item ?? input.Key) as { pk?: unknown; sk?: unknown } | undefined;
  // Recent vectors live under `vec#<namespace>` with the service as the sort key's first part.
  if (key) return String(key.pk ?? "").startsWith("vec#") ? "vec" : String(key.sk ?? key.pk ?? "?").split("#")[0];
  if (input.RequestItems) return "batch";
  if (input.TransactItems) return "transaction";
  return "?";
};

/**
 * Counts every call the AWS runtime makes, by instrumenting the SDK clients (a middleware on each client's
 * stack) and reading the stand-ins' request logs, and models each Lambda invocation's billed duration.
 * Calls are attributed to the function running at the time, which holds because the bench drives the
 * stages one invocation at a time.
 */
export class AwsMeter {
  readonly total = emptyUsage();
  /** DynamoDB write units by item kind (the sort key's prefix: evt, inc, alarm, usage, lease, ...), to show where they go. */
  readonly dynamoWruByKind = new Map<string, number>();
  private fn: { name: string; memoryMb: number; modelledMs: number } | null = null;

  /** `collect` reads the stand-ins' logs into this meter; it runs at the end of every invocation so their calls are attributed to it. */
  constructor(private readonly collect: (meter: AwsMeter) => void = () => {}) {}

  /** The runtime's own clients: everything they send is billed. */
  instrument(name: "sqs" | "eventBridge" | "s3" | "dynamo", client: Stackable) {
    client.middlewareStack.add((next, context) => async (args) => {
      const op = String((context as { commandName?: string }).commandName ?? "").replace(/Command$/, "");
      const input = args.input as Record<string, unknown>;
      if (name === "dynamo" && (DYNAMO_READ.test(op) || DYNAMO_WRITE.test(op))) input.ReturnConsumedCapacity = "TOTAL";
      try {
        const out = await next(args);
        this.record(name, op, input, out.output as Record<string, unknown>, false);
        return out;
      } catch (err) {
        this.record(name, op, input, {}, true);
        throw err;
      }
    }, { step: "initialize", name: `benchMeter-${name}` });
  }

  /** The event source mapping's client: Lambda's pollers pay for receives that return messages and for deletes (idle polling is a fixed cost, not per alarm). */
  instrumentPoller(client: Stackable) {
    client.middlewareStack.add((next, context) => async (args) => {
      const out = await next(args);
      const op = String((context as { commandName?: string }).commandName ?? "");
      const got = (out.output as { Messages?: unknown[] }).Messages?.length ?? 0;
      if (op !== "ReceiveMessageCommand" || got > 0) this.total.sqsRequests++;
      return out;
    }, { step: "initialize", name: "benchMeter-poller" });
  }

  /** EventBridge delivers each event to every rule's target queue: one SQS SendMessage per route. */
  eventsDelivered(types: string[]) {
    for (const t of types) this.total.sqsRequests += routesFor(t as EventType).length;
  }

  /** Pinecone from the stand-in's request log: read and write units by the documented formulas. */
  pineconeRequests(requests: Array<{ method: string; path: string; body: any }>, dimension: number) {
    const recordKb = (metadata: unknown) => (dimension * 4 + JSON.stringify(metadata ?? {}).length) / KB;
    for (const r of requests) {
      if (r.path.startsWith("/indexes/")) continue; // control plane: free
      this.total.pineconeCalls++;
      this.modelled(LATENCY_MS.pinecone);
      if (r.path === "/query") this.total.pineconeRu += 0.25; // the minimum, for any namespace under 250 MB
      else if (r.path === "/vectors/upsert") this.total.pineconeWu += Math.max(1, Math.ceil((r.body.vectors as Array<{ metadata: unknown }>).reduce((n, v) => n + recordKb(v.metadata), 0)));
      else if (r.path === "/vectors/update") this.total.pineconeWu += Math.max(1, Math.ceil(2 * recordKb(r.body.setMetadata)));
      else if (r.path === "/vectors/delete" || r.path.startsWith("/namespaces/")) this.total.pineconeWu += 1;
      else if (r.path === "/vectors/fetch") this.total.pineconeRu += 1;
    }
  }

  openAi(delta: { embeddings: number; embeddingTokens: number; chat: number; chatInputTokens: number; chatOutputTokens: number }) {
    this.total.embeddingCalls += delta.embeddings;
    this.total.embeddingTokens += delta.embeddingTokens;
    this.total.chatCalls += delta.chat;
    this.total.chatInputTokens += delta.chatInputTokens;
    this.total.chatOutputTokens += delta.chatOutputTokens;
    this.modelled(delta.embeddings * LATENCY_MS.embedding + delta.chat * LATENCY_MS.chat);
  }

  /** Runs one Lambda invocation, billing its measured time here plus the modelled latency of what it called. */
  async invocation<T>(name: string, memoryMb: number, work: () => Promise<T>): Promise<T> {
    this.fn = { name, memoryMb, modelledMs: 0 };
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.collect(this);
      const ms = performance.now() - started + this.fn.modelledMs;
      this.total.lambdaInvocations++;
      // Lambda bills in 1 ms increments.
      this.total.lambdaGbSeconds += (memoryMb / 1024) * (Math.ceil(ms) / 1000);
      this.fn = null;
    }
  }

  snapshot(): Usage { this.collect(this); return { ...this.total }; }

  private modelled(ms: number) { if (this.fn) this.fn.modelledMs += ms; }

  private record(service: string, op: string, input: Record<string, unknown>, output: Record<string, unknown>, failed: boolean) {
    const u = this.total;
    if (service === "sqs") { u.sqsRequests++; this.modelled(LATENCY_MS.sqs); return; }
    if (service === "eventBridge") {
      if (op === "PutEvents") u.eventBridgeEvents += (input.Entries as unknown[] | undefined)?.length ?? 0;
      this.modelled(LATENCY_MS.eventBridge);
      return;
    }
    if (service === "s3") {
      if (/^(Put|Copy|List|Post|CreateMultipart|UploadPart|CompleteMultipart)/.test(op)) { u.s3Puts++; this.modelled(LATENCY_MS.s3Put); }
      else if (/^(Get|Head|Select)/.test(op)) { u.s3Gets++; this.modelled(LATENCY_MS.s3Get); }
      return;
    }
    u.dynamoCalls++;
    this.modelled(LATENCY_MS.dynamo);
    const units = capacityOf(output.ConsumedCapacity);
    // A failed conditional write is still billed (at least one unit); dynalite reports no capacity for it.
    if (DYNAMO_WRITE.test(op)) {
      const wru = failed ? 1 : units || 1;
      u.dynamoWru += wru;
      const kind = itemKind(input);
      this.dynamoWruByKind.set(kind, (this.dynamoWruByKind.get(kind) ?? 0) + wru);
    }
    else if (DYNAMO_READ.test(op)) u.dynamoRru += units || 0.5;
  }
}
