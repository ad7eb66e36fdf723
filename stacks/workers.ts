import type { BusResources } from "./bus";
import {
  FORWARDED_QUEUE_ENV, HTTP_FUNCTION, RETENTION_FUNCTION, RETENTION_SCHEDULE, ingestStage, optionalEnvironment, type FunctionPlan, type StagePlan,
} from "./plan";
import type { StageQueues } from "./queues";
import type { Secrets } from "./secrets";
import type { Storage } from "./storage";

export interface RuntimeDeps {
  plans: StagePlan[];
  queues: StageQueues;
  bus: BusResources;
  storage: Storage;
  secrets: Secrets;
  api: sst.aws.ApiGatewayV2;
}

/**
 * The environment every function reads its configuration from (parsed once at start-up by the AWS runtime).
 * Every function gets all of it, so one configuration schema serves every handler.
 */
export function runtimeEnvironment(d: RuntimeDeps): Record<string, $util.Input<string>> {
  const env: Record<string, $util.Input<string>> = {
    IR_BUS_NAME: d.bus.bus.name,
    IR_BUCKET: d.storage.bucket.name,
    IR_TABLE: d.storage.table.name,
    IR_INGEST_QUEUE_URL: d.queues[ingestStage(d.plans).stage].queue.url,
    IR_PINECONE_INDEX_HOST: d.secrets.pineconeIndexHost.value,
    PINECONE_API_KEY: d.secrets.pineconeApiKey.value,
    OPENAI_API_KEY: d.secrets.openaiApiKey.value,
    IR_ADMIN_KEY: d.secrets.adminKey.value,
    IR_PUBLIC_URL: d.api.url,
    NODE_OPTIONS: "--enable-source-maps",
  };
  for (const p of d.plans) env[p.dlqEnvVar] = d.queues[p.stage].dlq.url;
  const forwarded = d.queues[ingestStage(d.plans).stage].forwarded;
  if (forwarded) env[FORWARDED_QUEUE_ENV] = forwarded.url;
  // Model names, log level, a PagerDuty test receiver...: unset means the runtime's defaults.
  return { ...env, ...optionalEnvironment(process.env) };
}

const DASHBOARD_IN_BUNDLE = "dashboard.html";

const functionArgs = (f: FunctionPlan, description: string, env: Record<string, $util.Input<string>>, link: unknown[]): sst.aws.FunctionArgs => ({
  handler: f.handler,
  description: description.slice(0, 256),
  runtime: "nodejs22.x",
  architecture: "arm64",
  memory: `${f.memoryMb} MB`,
  timeout: `${f.timeoutSeconds} seconds`,
  environment: env,
  link,
  // Code splitting, as scripts/bundle.ts builds what the bench measures: the lazily imported AWS SDK
  // services, Pinecone and OpenAI stay out of what every cold start parses.
  nodejs: { sourcemap: true, splitting: true },
});

/** A function per stage, fed by its queue with partial batch responses (one bad message never retries the batch). */
export function createWorkers(d: RuntimeDeps) {
  const env = runtimeEnvironment(d);
  const shared = [d.bus.bus, d.storage.bucket, d.storage.table, d.secrets.pineconeApiKey, d.secrets.pineconeIndexHost, d.secrets.openaiApiKey];

  const workers = d.plans.map((p) => {
    const { queue, dlq, forwarded } = d.queues[p.stage];
    const sources = forwarded ? [queue, forwarded] : [queue];
    // Linking a queue grants what its event source mapping needs; the DLQ, to dead-letter a poison message at once.
    const fn = new sst.aws.Function(`${p.component}Worker`, functionArgs(p, `${p.stage}: ${p.description}`, env, [...shared, ...sources, dlq]));
    for (const source of sources) source.subscribe(fn.arn, { batch: { size: p.batchSize, partialResponses: true } });
    return { plan: p, fn };
  });

  // The HTTP API: the contract in docs/aws.md and DESIGN §4. It reads outcomes, accepts alarms (ingest queue),
  // lists and replays dead letters (all DLQs) and checks the admin key.
  const dlqs = d.plans.map((p) => d.queues[p.stage].dlq);
  const { queue: ingest, forwarded } = d.queues[ingestStage(d.plans).stage];
  d.api.route("$default", {
    // The forwarded-alarms queue too: a dead-lettered forwarded CloudWatch event is replayed there.
    ...functionArgs(HTTP_FUNCTION, "HTTP API", { ...env, IR_DASHBOARD_FILE: DASHBOARD_IN_BUNDLE }, [...shared, d.secrets.adminKey, ingest, ...(forwarded ? [forwarded] : []), ...dlqs]),
    // The dashboard is one built HTML file (npm ci runs its build); it ships beside the handler.
    copyFiles: [{ from: "packages/dashboard/dist/index.html", to: DASHBOARD_IN_BUNDLE }],
  });

  // Retention (docs/aws.md): hourly, it deletes incidents, alarm outcomes, audit events and dead letters past each
  // tenant's retention, and their Pinecone vectors, which no lifecycle rule or TTL reaches. It sweeps the DLQs into the
  // dead-letter catalogue first. EventBridge Scheduler (CronV2; SST's Cron is deprecated) with no retries: the next hour is the retry.
  // The Scheduler invokes asynchronously, so Lambda's own async retries (two by default) are turned off too.
  new sst.aws.CronV2("Retention", {
    schedule: RETENTION_SCHEDULE,
    retries: 0,
    function: { ...functionArgs(RETENTION_FUNCTION, "retention: purge what each tenant's plan no longer keeps", env, [...shared, ...dlqs]), retries: 0 },
  });

  return workers;
}
