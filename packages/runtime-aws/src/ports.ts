import { newId, systemClock, type Ports } from "@ir/core";
import { DynamoAlarmStore } from "./adapters/alarm-store";
import { DynamoAuditLog } from "./adapters/audit-log";
import { SqsDeadLetters } from "./adapters/dead-letters";
import { EventBridgeBus } from "./adapters/event-bus";
import { S3IncidentStore } from "./adapters/incident-store";
import { DynamoKvStore } from "./adapters/kv-store";
import { DynamoLease } from "./adapters/lease";
import { createLogger } from "./adapters/logger";
import { OpenAiEmbedder } from "./adapters/openai-embedder";
import { OpenAiRecommendationWriter } from "./adapters/openai-writer";
import { PineconeVectorIndex } from "./adapters/pinecone-index";
import { RecentVectors } from "./adapters/recent-vectors";
import { S3RunbookStore } from "./adapters/runbook-store";
import { DynamoTenantStore } from "./adapters/tenant-store";
import { AwsTenantEraser } from "./adapters/tenant-eraser";
import { DynamoUsageMeter } from "./adapters/usage-meter";
import { createClients, type AwsClients } from "./clients";
import type { AwsConfig } from "./config";
import { DynamoTable } from "./dynamo-table";
import { S3Documents } from "./s3-documents";

/** The AWS runtime refuses webhooks to private and link-local addresses (DESIGN §4): it runs inside a VPC-adjacent account. */
export const refusePrivateTargets = { allowPrivateTargets: false } as const;

export interface AwsPorts extends Ports {
  incidents: S3IncidentStore;
  embedder: OpenAiEmbedder;
  alarms: DynamoAlarmStore;
  deadLetters: SqsDeadLetters;
  lease: DynamoLease;
  table: DynamoTable;
  clients: AwsClients;
  config: AwsConfig;
}

export const createAwsPorts = (config: AwsConfig, clients: AwsClients = createClients(config)): AwsPorts => {
  const table = new DynamoTable(clients.dynamo, config.table);
  const docs = new S3Documents(clients.s3, config.bucket);
  const log = createLogger(config.logLevel);
  const bus = new EventBridgeBus(clients.eventBridge, config.busName);
  const vectors = new PineconeVectorIndex(clients.pinecone, new RecentVectors(table));
  const deadLetters = new SqsDeadLetters(clients.sqs, table, bus, { ingest: config.ingestQueueUrl, deadLetters: config.deadLetterQueueUrls });
  return {
    clock: systemClock,
    newId,
    log,
    tenants: new DynamoTenantStore(table),
    incidents: new S3IncidentStore(table, docs),
    runbooks: new S3RunbookStore(docs),
    alarms: new DynamoAlarmStore(table, bus),
    vectors,
    embedder: new OpenAiEmbedder(clients.openai, config.openai.embeddingModel, table),
    writer: new OpenAiRecommendationWriter(clients.openai, config.openai.chatModel, log),
    audit: new DynamoAuditLog(table),
    usage: new DynamoUsageMeter(table),
    kv: new DynamoKvStore(table),
    bus,
    deadLetters,
    eraser: new AwsTenantEraser(table, docs, vectors, deadLetters),
    settings: { publicUrl: config.publicUrl, pagerdutyEventsUrl: config.pagerdutyEventsUrl, ...refusePrivateTargets },
    lease: new DynamoLease(table),
    table,
    clients,
    config,
  };
};
