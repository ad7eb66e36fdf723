import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { createApi } from "@ir/api";
import { hashKey } from "@ir/core";
import { dashboardHtml } from "@ir/dashboard";
import { containerPorts } from "../container";
import { errorResult, toApiRequest, toProxyResult } from "../lambda/http-event";
import { logContext } from "../lambda/log-context";

const ports = containerPorts();
/** Early-timeout response (below) plus time to answer: a `?wait` stops this long before the function must end. */
const WAIT_MARGIN_MS = 2_000;
/** When this invocation's `?wait` must give up (a container serves one request at a time). */
let waitUntil = Infinity;
const api = createApi(ports, {
  adminKeyHash: hashKey(ports.config.adminKey),
  // `?wait=N` polls DynamoDB with backoff: nothing can push an outcome into a waiting Lambda. It ends in time for
  // the 202: cut off by the timeout instead, an accepted alarm would be answered 503, and a client retrying it files it twice.
  waitForOutcome: (tenantId, alarmId, ms) => ports.alarms.waitFor(tenantId, alarmId, Math.max(0, Math.min(ms, waitUntil - Date.now()))),
  dashboardHtml,
});

/**
 * API Gateway HTTP API (payload v2) in front of the same handler the embedded server uses. API Gateway
 * cuts integrations at 30 s, so the function answers 503 with Retry-After a second before its own timeout.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>({
  timeoutEarlyInMillis: 1000,
  timeoutEarlyResponse: () => errorResult(503, "timeout", "the request took too long; retry", { "retry-after": "1" }),
})
  .use(logContext<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(ports.log.child({ stage: "http" })))
  .handler(async (event, context) => {
    waitUntil = Date.now() + context.getRemainingTimeInMillis() - WAIT_MARGIN_MS;
    // One request at a time per container: a fresh optimistic-lock view each time.
    ports.incidents.forgetReads();
    return toProxyResult(await api(toApiRequest(event)));
  });
