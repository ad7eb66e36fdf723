import * as z from "zod";
import { STAGE_NAMES, type StageName } from "@ir/core";

const url = z.url({ protocol: /^https?$/ });
const name = z.string().trim().min(1);

const dlqName = (stage: StageName) => `IR_DLQ_URL_${stage.toUpperCase()}`;

const Env = z.object({
  IR_BUS_NAME: name,
  IR_BUCKET: name,
  IR_TABLE: name,
  IR_INGEST_QUEUE_URL: url,
  IR_INGEST_FORWARDED_QUEUE_URL: url.optional(),
  ...Object.fromEntries(STAGE_NAMES.map((s) => [dlqName(s), url])) as Record<`IR_DLQ_URL_${Uppercase<StageName>}`, typeof url>,
  IR_PINECONE_INDEX_HOST: url,
  PINECONE_API_KEY: name,
  PINECONE_CONTROLLER_HOST: url.optional(),
  OPENAI_API_KEY: name,
  OPENAI_BASE_URL: url.optional(),
  IR_EMBEDDING_MODEL: name.default("text-embedding-3-small"),
  IR_CHAT_MODEL: name.default("gpt-4o-mini"),
  IR_ADMIN_KEY: z.string().min(16, "must be at least 16 characters"),
  IR_PUBLIC_URL: url,
  IR_PAGERDUTY_EVENTS_URL: url.default("https://events.pagerduty.com/v2/enqueue"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface AwsConfig {
  busName: string;
  bucket: string;
  table: string;
  ingestQueueUrl: string;
  /** The queue EventBridge forwards customers' CloudWatch alarm events to (set by the SST stacks on ingest). */
  ingestForwardedQueueUrl?: string;
  deadLetterQueueUrls: Record<StageName, string>;
  pinecone: { indexHost: string; apiKey: string; controllerHost?: string };
  openai: { apiKey: string; baseURL?: string; embeddingModel: string; chatModel: string };
  adminKey: string;
  publicUrl: string;
  pagerdutyEventsUrl: string;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(message: string) { super(message); this.name = "ConfigError"; }
}

/**
 * Reads the environment once at cold start. A bad or missing setting stops the container with a message
 * naming it, so a deploy with a typo fails its first invocation loudly instead of misbehaving later.
 */
export const loadConfig = (env: Record<string, string | undefined> = process.env): AwsConfig => {
  // Empty strings are what a template renders for "unset"; treat them as absent so defaults apply.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = Env.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${String(i.path[0] ?? "environment")}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    busName: e.IR_BUS_NAME,
    bucket: e.IR_BUCKET,
    table: e.IR_TABLE,
    ingestQueueUrl: e.IR_INGEST_QUEUE_URL,
    ingestForwardedQueueUrl: e.IR_INGEST_FORWARDED_QUEUE_URL,
    deadLetterQueueUrls: Object.fromEntries(STAGE_NAMES.map((s) => [s, e[dlqName(s) as keyof typeof e] as string])) as Record<StageName, string>,
    pinecone: { indexHost: e.IR_PINECONE_INDEX_HOST, apiKey: e.PINECONE_API_KEY, controllerHost: e.PINECONE_CONTROLLER_HOST },
    openai: { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL, embeddingModel: e.IR_EMBEDDING_MODEL, chatModel: e.IR_CHAT_MODEL },
    adminKey: e.IR_ADMIN_KEY,
    publicUrl: e.IR_PUBLIC_URL,
    pagerdutyEventsUrl: e.IR_PAGERDUTY_EVENTS_URL,
    logLevel: e.LOG_LEVEL,
  };
};
