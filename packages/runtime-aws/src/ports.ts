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
import { TenantRegistry } from "./adapters/tenant-registry";
import { TenantRetention } from "./adapters/tenant-retention";
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
  /** All tenant ids, for the retention worker. */
  registry: TenantRegistry;
  docs: S3Documents;
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
  const deadLetters = new SqsDeadLetters(clients.sqs, table, bus, { ingest: config.ingestQueueUrl, forwarded: config.ingestForwardedQueueUrl, deadLetters: config.deadLetterQueueUrls });
  const registry = new TenantRegistry(table);
  const tenants = new DynamoTenantStore(table, registry);
  // One per container: what incidents, alarm outcomes and audit events are stamped with (S3 tag, DynamoDB expires_at).
  const retention = new TenantRetention(tenants);
  return {
    clock: systemClock,
    newId,
    log,
    tenants,
    incidents: new S3IncidentStore(table, docs, retention),
    // Runbooks are configuration, not incident data: never tagged for expiry.
    runbooks: new S3RunbookStore(docs),
    alarms: new DynamoAlarmStore(table, bus, retention),
    vectors,
    embedder: new OpenAiEmbedder(clients.openai, config.openai.embeddingModel, table),
    writer: new OpenAiRecommendationWriter(clients.openai, config.openai.chatModel),
    audit: new DynamoAuditLog(table, retention),
    usage: new DynamoUsageMeter(table),
    kv: new DynamoKvStore(table),
    bus,
    deadLetters,
    eraser: new AwsTenantEraser(table, docs, vectors, deadLetters, registry),
    settings: { publicUrl: config.publicUrl, pagerdutyEventsUrl: config.pagerdutyEventsUrl, ...refusePrivateTargets },
    lease: new DynamoLease(table),
    registry,
    docs,
    table,
    clients,
    config,
  };
};
