/**
 * List prices in USD, us-east-1, pay as you go, without free tiers or volume discounts. Checked against
 * the vendors' pricing pages in 2025; update them here when the pages change.
 */
export const PRICES = {
  /** aws.amazon.com/sqs/pricing — standard queues, per request (each 64 KB chunk of a payload is one request). */
  sqsRequest: 0.40 / 1e6,
  /** aws.amazon.com/eventbridge/pricing — custom events put on a bus, per event (64 KB chunks). */
  eventBridgeEvent: 1.00 / 1e6,
  /** aws.amazon.com/s3/pricing — S3 Standard: PUT, COPY, POST, LIST per request; GET, SELECT and others per request. DELETE is free. */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  /**
   * aws.amazon.com/dynamodb/pricing/on-demand — after the November 2024 price cut: $0.625 per million write
   * request units (1 WRU = a write of up to 1 KB), $0.125 per million read request units (1 RRU = a strongly
   * consistent read of up to 4 KB, or two eventually consistent ones).
   */
  dynamoWru: 0.625 / 1e6,
  dynamoRru: 0.125 / 1e6,
  /** aws.amazon.com/lambda/pricing — arm64: per GB-second of billed duration, per request. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.20 / 1e6,
  /** aws.amazon.com/api-gateway/pricing — HTTP APIs, first 300 million requests a month. */
  apiGatewayHttpRequest: 1.00 / 1e6,
  /**
   * pinecone.io/pricing — serverless, Standard plan, AWS us-east-1: $16 per million read units, $4 per million
   * write units. docs.pinecone.io "Understanding cost": a query uses 1 RU per GB of namespace, at least 0.25;
   * an upsert 1 WU per KB of records written; an update 1 WU per KB of the old and new record; a delete 1 WU
   * per KB deleted (each at least 1).
   */
  pineconeRu: 16 / 1e6,
  pineconeWu: 4 / 1e6,
  /** openai.com/api/pricing — text-embedding-3-small, per input token. */
  embeddingToken: 0.02 / 1e6,
  /** openai.com/api/pricing — gpt-4o-mini, per input and per output token. */
  chatInputToken: 0.15 / 1e6,
  chatOutputToken: 0.60 / 1e6,
} as const;

/**
 * Typical in-region latencies, for a Lambda's billed duration: the emulators answer on loopback in a
 * fraction of a millisecond, which would make Lambda look free. Calls are summed as if sequential (an
 * upper bound: the stages overlap some of them), plus the CPU time measured here.
 */
export const LATENCY_MS = {
  dynamo: 6, s3Put: 30, s3Get: 15, sqs: 10, eventBridge: 15, pinecone: 30, embedding: 150, chat: 2000,
} as const;
