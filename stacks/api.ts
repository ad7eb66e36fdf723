/**
 * Whole-API throttle at the stage. The per-tenant ingest buckets (packages/api/src/rate-limit.ts) live in
 * each Lambda container's memory, so many warm containers multiply a tenant's allowance; this bounds the
 * sum before it reaches Lambda concurrency and cost.
 */
export const API_THROTTLE = { ratePerSecond: 5_000, burst: 10_000 };

/** The HTTP API (API Gateway HTTP API); its one `$default` route is added with the functions (workers.ts). */
export function createApi() {
  return new sst.aws.ApiGatewayV2("Api", {
    accessLog: { retention: "1 month" },
    transform: {
      stage: (args) => {
        args.defaultRouteSettings = { throttlingRateLimit: API_THROTTLE.ratePerSecond, throttlingBurstLimit: API_THROTTLE.burst };
      },
    },
  });
}
