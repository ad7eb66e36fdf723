import * as z from "zod";

const Config = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  IR_DATA_DIR: z.string().min(1).default("./.ir-data"),
  IR_ADMIN_KEY: z.string().min(16, "IR_ADMIN_KEY must be at least 16 characters").optional(),
  IR_PAGERDUTY_EVENTS_URL: z.url().default("https://events.pagerduty.com/v2/enqueue"),
  IR_PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type EmbeddedConfig = z.infer<typeof Config>;

/** Parsed once at start-up; a bad setting stops the process with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): EmbeddedConfig {
  const r = Config.safeParse(env);
  if (!r.success) throw new Error(`bad setting: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
}
