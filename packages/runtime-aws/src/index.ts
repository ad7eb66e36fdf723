export { loadConfig, ConfigError, type AwsConfig } from "./config";
export { createAwsPorts, refusePrivateTargets, type AwsPorts } from "./ports";
export { createClients, type AwsClients } from "./clients";
export { stageLambda } from "./lambda/stage-lambda";
export { toApiRequest, toProxyResult } from "./lambda/http-event";
export { seedGlobalRunbooks } from "@ir/match";
export { EVENT_SOURCE } from "./adapters/event-bus";
export { OPENAI_SMALL_THRESHOLDS } from "./adapters/openai-embedder";
