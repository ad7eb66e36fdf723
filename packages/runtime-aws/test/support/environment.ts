import { afterAll, beforeAll } from "vitest";
import { loadConfig } from "../../src/config";
import { createAwsPorts, type AwsPorts } from "../../src/ports";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STAGE_NAMES } from "@ir/core";
import { startEmulators, REGION, type Emulators } from "./emulators";
import { startEventBridgeStandIn } from "./eventbridge-stand-in";
import { startOpenAiStandIn } from "./openai-stand-in";
import { startPineconeStandIn } from "./pinecone-stand-in";

export const BUS = "ir-bus";
export const ADMIN_KEY = "test-admin-key-0123456789";
export const DIMENSIONS = 1536;

/**
 * Everything the AWS runtime talks to, on loopback: fauxqs (SQS, S3), dynalite (DynamoDB) and stand-ins for
 * EventBridge, Pinecone and OpenAI; then the environment the SST stacks would give a function. Endpoints
 * reach the SDK through its own AWS_ENDPOINT_URL_* variables, exactly as in a deployed function.
 *
 * IR_TEST_LOCALSTACK=1 would swap the emulators for LocalStack via @testcontainers/localstack (see README);
 * that needs Docker and the package, neither of which is on this machine, so the switch only explains itself.
 */
export async function startEnvironment() {
  if (process.env.IR_TEST_LOCALSTACK === "1") {
    throw new Error("IR_TEST_LOCALSTACK=1 needs Docker and `npm i -D @testcontainers/localstack` (see packages/runtime-aws/README.md)");
  }
  const emulators: Emulators = await startEmulators();
  const pinecone = await startPineconeStandIn({ dimension: DIMENSIONS });
  const openai = await startOpenAiStandIn({ dimensions: DIMENSIONS });
  const eventBridge = await startEventBridgeStandIn({ busName: BUS, queues: emulators.queues, sqsEndpoint: emulators.sqsEndpoint });

  const env: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL_SQS: emulators.sqsEndpoint,
    AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
    IR_BUS_NAME: BUS,
    IR_BUCKET: emulators.bucket,
    IR_TABLE: emulators.table,
    IR_INGEST_QUEUE_URL: emulators.ingestQueueUrl,
    ...Object.fromEntries(STAGE_NAMES.map((s) => [`IR_DLQ_URL_${s.toUpperCase()}`, emulators.deadLetterQueues[s].url])),
    IR_PINECONE_INDEX_HOST: pinecone.url,
    PINECONE_API_KEY: "pc-test",
    PINECONE_CONTROLLER_HOST: pinecone.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_BASE_URL: openai.url,
    IR_ADMIN_KEY: ADMIN_KEY,
    IR_PUBLIC_URL: "https://ir.example.com",
    IR_PAGERDUTY_EVENTS_URL: "https://events.pagerduty.example/v2/enqueue",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
  };
  Object.assign(process.env, env);
  const sqs = new SQSClient({});

  return {
    emulators, pinecone, openai, eventBridge, env, sqs,
    async stop() {
      sqs.destroy();
      await eventBridge.close();
      await openai.close();
      await pinecone.close();
      await emulators.stop();
    },
  };
}

export type Environment = Awaited<ReturnType<typeof startEnvironment>>;

/**
 * One emulator environment per test file and the AWS ports on it, started before the file's tests and
 * stopped after: `const aws = useAwsEnvironment();` then `aws.env`, `aws.ports` inside tests.
 */
export function useAwsEnvironment(): { env: Environment; ports: AwsPorts } {
  const ctx = {} as { env: Environment; ports: AwsPorts };
  beforeAll(async () => {
    ctx.env = await startEnvironment();
    ctx.ports = createAwsPorts(loadConfig());
  });
  afterAll(async () => { await ctx.env?.stop(); });
  return ctx;
}
