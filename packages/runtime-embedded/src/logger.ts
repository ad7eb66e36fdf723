import pino from "pino";
import type { Logger } from "@ir/core";

/** Secrets never reach a log line: these paths are censored wherever they appear. */
const REDACT = ["api_key", "*.api_key", "headers.authorization", "headers[\"x-api-key\"]", "headers[\"x-admin-key\"]", "webhook_url", "*.webhook_url", "routing_key", "*.routing_key", "secret", "*.secret"];

export const createLogger = (level = process.env.LOG_LEVEL ?? "info"): Logger =>
  pino({ level, redact: { paths: REDACT, censor: "[redacted]" }, base: { service: "incident-responder" } }) as unknown as Logger;
