import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { interceptLocalhostDns, startFauxqs } from "fauxqs";
import { STAGE_NAMES, STAGES, type StageName } from "@ir/core";

export interface Emulators {
  sqsEndpoint: string;
  s3Endpoint: string;
  dynamoEndpoint: string;
  queues: Record<StageName, { url: string; arn: string }>;
  deadLetterQueues: Record<StageName, { url: string; arn: string }>;
  ingestQueueUrl: string;
  bucket: string;
  table: string;
  fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
  stop(): Promise<void>;
}

export const REGION = "us-east-1";
const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));

/**
 * fauxqs (SQS + S3) and dynalite (DynamoDB), in process on loopback with random ports, with the queues,
 * DLQs, bucket and table the SST stacks create. fauxqs names queue hosts `sqs.<region>.localhost`, so
 * `*.localhost` is resolved to 127.0.0.1 for the test process.
 */
export async function startEmulators(): Promise<Emulators> {
  const restoreDns = interceptLocalhostDns();
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  const sqsEndpoint = `http://sqs.${REGION}.localhost:${fauxqs.port}`;

  const queues = {} as Emulators["queues"];
  const deadLetterQueues = {} as Emulators["deadLetterQueues"];
  for (const stage of STAGE_NAMES) {
    const dlq = fauxqs.createQueue(`ir-${stage}-dlq`);
    deadLetterQueues[stage] = { url: dlq.queueUrl, arn: dlq.queueArn };
    const q = fauxqs.createQueue(`ir-${stage}`, {
      attributes: {
        VisibilityTimeout: String(STAGES[stage].timeoutSeconds),
        // The runtime dead-letters at maxAttempts itself (with a reason); redrive is the net for crashes.
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: String(STAGES[stage].maxAttempts + 2) }),
      },
    });
    queues[stage] = { url: q.queueUrl, arn: q.queueArn };
  }
  const bucket = "ir-documents";
  fauxqs.createBucket(bucket);

  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = await listen(dynamo);
  const dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;
  const table = "ir-table";
  const ddb = new DynamoDBClient({ endpoint: dynamoEndpoint, region: REGION, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  await ddb.send(new CreateTableCommand({
    TableName: table,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
  }));
  ddb.destroy();

  return {
    sqsEndpoint, s3Endpoint: fauxqs.address, dynamoEndpoint, queues, deadLetterQueues,
    ingestQueueUrl: queues.ingest.url, bucket, table, fauxqs,
    async stop() {
      await fauxqs.stop();
      await new Promise<void>((r) => dynamo.close(() => r()));
      restoreDns();
    },
  };
}

/** A minimal JSON-over-HTTP server for the stand-ins: handler gets the parsed body and returns [status, body]. */
export async function jsonServer(handle: (method: string, path: string, body: any, headers: Record<string, string | string[] | undefined>) => Promise<[number, unknown, Record<string, string>?]> | [number, unknown, Record<string, string>?]) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      try {
        const text = Buffer.concat(chunks).toString("utf8");
        const [status, body, headers] = await handle(req.method ?? "GET", (req.url ?? "/").split("?")[0], text ? JSON.parse(text) : undefined, req.headers);
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(body === undefined ? "" : JSON.stringify(body));
      } catch (err) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: String(err) }));
      }
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
