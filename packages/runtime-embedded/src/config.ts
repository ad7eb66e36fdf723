import * as z from "zod";

/** An empty variable (`PORT=` in an env file) means unset: coerced, it was port 0, a random one. */
const unsetIfBlank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const port = z.string().trim().regex(/^\d{1,5}$/, "expected a port number").transform(Number).refine((n) => n <= 65535, "expected a port number up to 65535");
const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });

const Config = z.object({
  PORT: z.preprocess(unsetIfBlank, port.default(3000)),
  HOST: z.preprocess(unsetIfBlank, z.string().trim().default("127.0.0.1")),
  IR_DATA_DIR: z.preprocess(unsetIfBlank, z.string().default("./.ir-data")),
  // Trimmed as header values are: with a trailing space from an env file the key could never match.
  IR_ADMIN_KEY: z.preprocess(unsetIfBlank, z.string().trim().min(16, "IR_ADMIN_KEY must be at least 16 characters").optional()),
  IR_PAGERDUTY_EVENTS_URL: z.preprocess(unsetIfBlank, httpUrl.default("https://events.pagerduty.com/v2/enqueue")),
  IR_PUBLIC_URL: z.preprocess(unsetIfBlank, httpUrl.optional()),
  LOG_LEVEL: z.preprocess(unsetIfBlank, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
});
export type EmbeddedConfig = z.infer<typeof Config>;

/** Parsed once at start-up; a bad setting stops the process with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): EmbeddedConfig {
  const r = Config.safeParse(env);
  if (!r.success) throw new Error(`bad setting: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
}
