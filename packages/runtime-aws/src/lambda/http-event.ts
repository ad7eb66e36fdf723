import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ApiRequest, ApiResponse } from "@ir/api";

/** API Gateway HTTP API (payload v2) to the framework-neutral request the API handler serves. */
export const toApiRequest = (event: APIGatewayProxyEventV2): ApiRequest => {
  const stage = event.requestContext?.stage;
  let path = event.rawPath || "/";
  // A named stage prefixes the path (`/prod/api/...`); the contract's paths do not know it.
  if (stage && stage !== "$default" && (path === `/${stage}` || path.startsWith(`/${stage}/`))) path = path.slice(stage.length + 1) || "/";
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  if (event.cookies?.length) headers.cookie = event.cookies.join("; ");
  const body = event.body === undefined || event.body === null ? "" : event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  return {
    method: event.requestContext?.http?.method ?? "GET",
    path,
    query: new URLSearchParams(event.rawQueryString ?? ""),
    headers,
    body,
    remoteAddress: event.requestContext?.http?.sourceIp,
  };
};

export const toProxyResult = (res: ApiResponse): APIGatewayProxyStructuredResultV2 => ({
  statusCode: res.status,
  headers: res.headers,
  body: res.body,
  isBase64Encoded: false,
});

export const errorResult = (status: number, code: string, message: string, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 => ({
  statusCode: status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify({ error: { code, message } }),
  isBase64Encoded: false,
});
