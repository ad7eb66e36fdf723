import * as z from "zod";
// The narrowest module with `Resource`: the `sst` root also loads its realtime and vector clients.
import { Resource } from "sst/resource";
import { STAGE_NAMES, type StageName } from "@ir/core";
import { OPTIONAL_SETTINGS } from "./optional-settings";
import { FUNCTION_ENV, FUNCTION_SECRETS, SECRET_ENV, SECRET_NAMES, type FunctionName, type SecretName } from "./function-secrets";

const url = z.url({ protocol: /^https?$/ });
const name = z.string().trim().min(1);

const dlqName = (stage: StageName) => `IR_DLQ_URL_${stage.toUpperCase()}`;
const FUNCTION_NAMES = Object.keys(FUNCTION_SECRETS) as [FunctionName, ...FunctionName[]];

/** Non-secret settings: environment variables, as the stacks set them (docs/aws.md). */
const Env = z.object({
  IR_BUS_NAME: name,
  IR_BUCKET: name,
  IR_TABLE: name,
  IR_INGEST_QUEUE_URL: url,
  IR_INGEST_FORWARDED_QUEUE_URL: url.optional(),
  ...Object.fromEntries(STAGE_NAMES.map((s) => [dlqName(s), url])) as Record<`IR_DLQ_URL_${Uppercase<StageName>}`, typeof url>,
  IR_PUBLIC_URL: url,
  ...OPTIONAL_SETTINGS,
});

/** Which function this container runs (the stacks set it); unset outside a deployed function. */
const FunctionEnv = z.enum(FUNCTION_NAMES).optional();

const SECRET_SCHEMAS: Record<SecretName, z.ZodType<string>> = {
  PineconeApiKey: name,
  PineconeIndexHost: url,
  OpenaiApiKey: name,
  AdminKey: z.string().min(16, "must be at least 16 characters"),
};

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

/** What SST's `Resource` offers: the components linked to this function by name; a linked `sst.Secret` is `{ value }`. */
export type LinkedResources = Readonly<Record<string, unknown>>;

const linkedValue = (linked: LinkedResources, secret: SecretName): unknown =>
  secret in linked ? (linked[secret] as { value?: unknown } | undefined)?.value : undefined;

/**
 * Reads the configuration once at cold start. A bad or missing setting stops the container with a message
 * naming it, so a deploy with a typo fails its first invocation loudly instead of misbehaving later.
 *
 * Secrets come from SST's `Resource` when linked (deployed functions, `sst shell`, `sst dev`: SST encrypts them
 * into the bundle, never into the function's environment), otherwise from their environment variables
 * (`SECRET_ENV`; the suites on the emulators and local scripts, which run outside SST). With `IR_FUNCTION` set,
 * only that function's secrets (`FUNCTION_SECRETS`) are required and readable; without it, all are.
 */
export const loadConfig = (
  env: Record<string, string | undefined> = process.env,
  linked: LinkedResources = Resource as unknown as LinkedResources,
): AwsConfig => {
  // Empty strings are what a template renders for "unset"; treat them as absent so defaults apply.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const problems: string[] = [];
  const parsed = Env.safeParse(present);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${String(i.path[0] ?? "environment")}: ${i.message}`));

  const which = FunctionEnv.safeParse(present[FUNCTION_ENV]);
  if (!which.success) problems.push(`${FUNCTION_ENV}: ${which.error.issues.map((i) => i.message).join(", ")}`);
  const fn = which.success ? which.data : undefined;
  // An unknown function has no list to check the secrets against; its name is the problem to report.
  const needed = !which.success ? [] : fn ? FUNCTION_SECRETS[fn] : SECRET_NAMES;
  const secrets: Partial<Record<SecretName, string>> = {};
  for (const secret of needed) {
    const fromLink = linkedValue(linked, secret);
    const isLinked = fromLink !== undefined && fromLink !== "";
    const raw = isLinked ? fromLink : present[SECRET_ENV[secret]];
    if (raw === undefined) {
      problems.push(`${secret}: missing; link the secret to this function, or set ${SECRET_ENV[secret]} outside SST`);
      continue;
    }
    const value = SECRET_SCHEMAS[secret].safeParse(raw);
    if (value.success) secrets[secret] = value.data;
    else problems.push(`${isLinked ? `${secret} (linked)` : SECRET_ENV[secret]}: ${value.error.issues.map((i) => i.message).join(", ")}`);
  }
  if (!parsed.success || problems.length) throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);

  // A secret this function does not list is never read, even when present: reaching for it is a bug to name.
  const secret = (s: SecretName): string => {
    const value = secrets[s];
    if (value === undefined) throw new ConfigError(`${s} is not available to the ${fn} function (FUNCTION_SECRETS in function-secrets.ts does not list it)`);
    return value;
  };
  const e = parsed.data;
  return {
    busName: e.IR_BUS_NAME,
    bucket: e.IR_BUCKET,
    table: e.IR_TABLE,
    ingestQueueUrl: e.IR_INGEST_QUEUE_URL,
    ingestForwardedQueueUrl: e.IR_INGEST_FORWARDED_QUEUE_URL,
    deadLetterQueueUrls: Object.fromEntries(STAGE_NAMES.map((s) => [s, e[dlqName(s) as keyof typeof e] as string])) as Record<StageName, string>,
    pinecone: {
      get indexHost() { return secret("PineconeIndexHost"); },
      get apiKey() { return secret("PineconeApiKey"); },
      controllerHost: e.PINECONE_CONTROLLER_HOST,
    },
    openai: { get apiKey() { return secret("OpenaiApiKey"); }, baseURL: e.OPENAI_BASE_URL, embeddingModel: e.IR_EMBEDDING_MODEL, chatModel: e.IR_CHAT_MODEL },
    get adminKey() { return secret("AdminKey"); },
    publicUrl: e.IR_PUBLIC_URL,
    pagerdutyEventsUrl: e.IR_PAGERDUTY_EVENTS_URL,
    logLevel: e.LOG_LEVEL,
  };
};
