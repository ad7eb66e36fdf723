import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { createApi } from "@ir/api";
import { hashKey } from "@ir/core";
import { dashboardHtml } from "@ir/dashboard";
import { containerPorts } from "../container";
import { errorResult, toApiRequest, toProxyResult } from "../lambda/http-event";
import { logContext } from "../lambda/log-context";

const ports = containerPorts();
const api = createApi(ports, {
  adminKeyHash: hashKey(ports.config.adminKey),
  // `?wait=N` polls DynamoDB with backoff: nothing can push an outcome into a waiting Lambda.
  waitForOutcome: (tenantId, alarmId, ms) => ports.alarms.waitFor(tenantId, alarmId, ms),
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
  .handler(async (event) => {
    // One request at a time per container: a fresh optimistic-lock view each time.
    ports.incidents.forgetReads();
    return toProxyResult(await api(toApiRequest(event)));
  });
