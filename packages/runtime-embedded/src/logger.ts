import pino from "pino";
import type { Logger } from "@ir/core";

/** Secrets never reach a log line: these paths are censored wherever they appear. */
const REDACT = ["api_key", "*.api_key", "headers.authorization", "headers[\"x-api-key\"]", "headers[\"x-admin-key\"]", "webhook_url", "*.webhook_url", "routing_key", "*.routing_key", "secret", "*.secret"];

/** Where JSON lines go: stdout by default; tests pass a collector to read what was logged. */
export type LogDestination = pino.DestinationStream;

export const createLogger = (level = process.env.LOG_LEVEL ?? "info", destination?: LogDestination): Logger => {
  const options = { level, redact: { paths: REDACT, censor: "[redacted]" }, base: { service: "incident-responder" } };
  return (destination ? pino(options, destination) : pino(options)) as unknown as Logger;
};
