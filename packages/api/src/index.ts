export { createApi, MAX_BODY_BYTES } from "./create-api";
export type { ApiHandler, ApiRequest, ApiResponse } from "./types";
export type { ApiOptions } from "./deps";
export { computeAnalytics, ASSUMPTIONS, type Analytics } from "./analytics";
export { newTenant, CreateTenant } from "./routes/tenants";
export { CreateKey } from "./request-bodies";
export { issueKey, liveKeys, revokeKey, rotateKey, DEFAULT_OVERLAP_SECONDS, type KeyView } from "./key-lifecycle";
