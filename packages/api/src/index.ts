export { createApi, MAX_BODY_BYTES } from "./create-api";
export type { ApiHandler, ApiRequest, ApiResponse } from "./types";
export type { ApiOptions } from "./deps";
export { computeAnalytics, ASSUMPTIONS } from "./analytics";
export { newTenant, CreateTenant } from "./routes/tenants";
