import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Index } from "@pinecone-database/pinecone";
import type OpenAI from "openai";
import type { AwsConfig } from "./config";
import { LazyClient } from "./sdk/lazy-client";

export type SqsLazy = LazyClient<typeof import("./sdk/sqs"), SQSClient>;
export type EventBridgeLazy = LazyClient<typeof import("./sdk/eventbridge"), EventBridgeClient>;
export type S3Lazy = LazyClient<typeof import("./sdk/s3"), S3Client>;
export type DynamoLazy = LazyClient<typeof import("./sdk/dynamodb"), DynamoDBDocumentClient>;

export interface AwsClients {
  /** The AWS SDK clients, each loaded by its first use: an invocation parses only the services it calls. */
  sqs: SqsLazy;
  eventBridge: EventBridgeLazy;
  s3: S3Lazy;
  dynamo: DynamoLazy;
  /** Loaded on first use: a function whose stage never queries vectors never parses the Pinecone client. */
  pinecone: () => Promise<Index>;
  openai: () => Promise<OpenAI>;
}

/**
 * One set of clients per container (the handler module calls this once at init), so connections and
 * credentials are reused across invocations. Endpoints come from the SDK's own settings (AWS_REGION,
 * AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS, ...), which is also how tests point them at emulators.
 */
export const createClients = (config: AwsConfig): AwsClients => {
  let pinecone: Promise<Index> | undefined;
  let openai: Promise<OpenAI> | undefined;
  // Path-style only where an endpoint is overridden: emulators answer one host, AWS prefers virtual hosts.
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  return {
    sqs: new LazyClient(() => import("./sdk/sqs"), (sdk) => new sdk.SQSClient({})),
    eventBridge: new LazyClient(() => import("./sdk/eventbridge"), (sdk) => new sdk.EventBridgeClient({})),
    s3: new LazyClient(() => import("./sdk/s3"), (sdk) => new sdk.S3Client({ forcePathStyle })),
    dynamo: new LazyClient(() => import("./sdk/dynamodb"), (sdk) =>
      sdk.DynamoDBDocumentClient.from(new sdk.DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } })),
    // The Pinecone SDK is CommonJS: bundled, its exports may sit on `default`.
    pinecone: () => (pinecone ??= import("@pinecone-database/pinecone").then((mod) =>
      new (mod.Pinecone ?? (mod as unknown as { default: typeof mod }).default.Pinecone)({ apiKey: config.pinecone.apiKey, controllerHostUrl: config.pinecone.controllerHost, maxRetries: 2 })
        .index({ host: config.pinecone.indexHost }))),
    openai: () => (openai ??= import("openai").then((mod) =>
      new (mod.default ?? mod.OpenAI)({ apiKey: config.openai.apiKey, baseURL: config.openai.baseURL, maxRetries: 2, timeout: 20_000 }))),
  };
};
