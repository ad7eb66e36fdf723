import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Index } from "@pinecone-database/pinecone";
import type OpenAI from "openai";
import type { AwsConfig } from "./config";

export interface AwsClients {
  sqs: SQSClient;
  eventBridge: EventBridgeClient;
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
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
  return {
    sqs: new SQSClient({}),
    eventBridge: new EventBridgeClient({}),
    // Path-style only where an endpoint is overridden: emulators answer one host, AWS prefers virtual hosts.
    s3: new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL) }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
    // The Pinecone SDK is CommonJS: bundled, its exports may sit on `default`.
    pinecone: () => (pinecone ??= import("@pinecone-database/pinecone").then((mod) =>
      new (mod.Pinecone ?? (mod as unknown as { default: typeof mod }).default.Pinecone)({ apiKey: config.pinecone.apiKey, controllerHostUrl: config.pinecone.controllerHost, maxRetries: 2 })
        .index({ host: config.pinecone.indexHost }))),
    openai: () => (openai ??= import("openai").then((mod) =>
      new (mod.default ?? mod.OpenAI)({ apiKey: config.openai.apiKey, baseURL: config.openai.baseURL, maxRetries: 2, timeout: 20_000 }))),
  };
};
