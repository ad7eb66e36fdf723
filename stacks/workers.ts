import type { BusResources } from "./bus";
import {
  HTTP_FUNCTION, RETENTION_FUNCTION, RETENTION_SCHEDULE, functionEnvironment, ingestStage, type EnvironmentValues, type FunctionPlan, type StagePlan,
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

/** The deployed resources every function's environment names (functionEnvironment in plan.ts adds the rest). */
function environmentValues(d: RuntimeDeps): EnvironmentValues<$util.Input<string>> {
  const { queue: ingest, forwarded } = d.queues[ingestStage(d.plans).stage];
  return {
    busName: d.bus.bus.name,
    bucket: d.storage.bucket.name,
    table: d.storage.table.name,
    ingestQueueUrl: ingest.url,
    forwardedQueueUrl: forwarded?.url,
    deadLetterQueueUrl: (stage) => d.queues[stage].dlq.url,
    publicUrl: d.api.url,
  };
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
  const values = environmentValues(d);
  const env = (f: FunctionPlan) => functionEnvironment(f, values, d.plans, process.env);
  // Secrets reach a function only by link (encrypted into its bundle, read through SST's `Resource`), and only
  // those it reads: a secret in `environment` is clear text to anyone with lambda:GetFunctionConfiguration.
  const linked = (f: FunctionPlan) => [d.bus.bus, d.storage.bucket, d.storage.table, ...f.secrets.map((s) => d.secrets.runtime[s])];

  const workers = d.plans.map((p) => {
    const { queue, dlq, forwarded } = d.queues[p.stage];
    const sources = forwarded ? [queue, forwarded] : [queue];
    // Linking a queue grants what its event source mapping needs; the DLQ, to dead-letter a poison message at once.
    const fn = new sst.aws.Function(`${p.component}Worker`, functionArgs(p, `${p.stage}: ${p.description}`, env(p), [...linked(p), ...sources, dlq]));
    for (const source of sources) source.subscribe(fn.arn, { batch: { size: p.batchSize, partialResponses: true } });
    return { plan: p, fn };
  });

  // The HTTP API: the contract in docs/aws.md and DESIGN §4. It reads outcomes, accepts alarms (ingest queue),
  // lists and replays dead letters (all DLQs) and checks the admin key.
  const dlqs = d.plans.map((p) => d.queues[p.stage].dlq);
  const { queue: ingest, forwarded } = d.queues[ingestStage(d.plans).stage];
  d.api.route("$default", {
    // The forwarded-alarms queue too: a dead-lettered forwarded CloudWatch event is replayed there.
    ...functionArgs(HTTP_FUNCTION, "HTTP API", { ...env(HTTP_FUNCTION), IR_DASHBOARD_FILE: DASHBOARD_IN_BUNDLE }, [...linked(HTTP_FUNCTION), ingest, ...(forwarded ? [forwarded] : []), ...dlqs]),
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
    function: { ...functionArgs(RETENTION_FUNCTION, "retention: purge what each tenant's plan no longer keeps", env(RETENTION_FUNCTION), [...linked(RETENTION_FUNCTION), ...dlqs]), retries: 0 },
  });

  return workers;
}
