import * as z from "zod";

const url = z.url({ protocol: /^https?$/ });
const name = z.string().trim().min(1);

/**
 * Settings the AWS runtime reads with a default, in the functions' environment under these names. Zod only: the
 * stacks check them at `sst deploy` with the schemas the functions parse them with at cold start, so a value the
 * runtime would refuse (LOG_LEVEL=DEBUG) fails the deploy instead of every function after it.
 */
export const OPTIONAL_SETTINGS = {
  IR_PAGERDUTY_EVENTS_URL: url.default("https://events.pagerduty.com/v2/enqueue"),
  IR_EMBEDDING_MODEL: name.default("text-embedding-3-small"),
  IR_CHAT_MODEL: name.default("gpt-4o-mini"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OPENAI_BASE_URL: url.optional(),
  PINECONE_CONTROLLER_HOST: url.optional(),
};
export type OptionalSetting = keyof typeof OPTIONAL_SETTINGS;

/**
 * The deploying shell's name for a setting: always `IR_`-prefixed, so that a shell's own LOG_LEVEL (a CI's
 * "DEBUG") or OPENAI_BASE_URL (a test stand-in) does not reach production unasked.
 */
export const shellNameOf = (setting: OptionalSetting): string => (setting.startsWith("IR_") ? setting : `IR_${setting}`);
