import pino from "pino";
import type { Logger } from "@ir/core";

/** Secrets never reach a log line: these paths are censored wherever they appear. */
const REDACT = [
  "api_key", "*.api_key", "headers.authorization", "headers[\"x-api-key\"]", "headers[\"x-admin-key\"]",
  "attributes[\"ir-api-key\"]", "*.attributes[\"ir-api-key\"]",
  "webhook_url", "*.webhook_url", "routing_key", "*.routing_key", "secret", "*.secret",
];

/**
 * pino to stdout, which Lambda ships to CloudWatch Logs. JSON lines with `level` as a label so CloudWatch
 * Logs Insights and metric filters can match on it; request context is bound per invocation by a child.
 */
export const createLogger = (level: string): Logger =>
  pino({
    level,
    redact: { paths: REDACT, censor: "[redacted]" },
    base: { service: "incident-responder", function: process.env.AWS_LAMBDA_FUNCTION_NAME },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  }) as unknown as Logger;
