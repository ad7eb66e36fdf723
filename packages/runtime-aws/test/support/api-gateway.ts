import type { APIGatewayProxyEventV2 } from "aws-lambda";

/** An API Gateway HTTP API (payload 2.0) request as Lambda receives it. */
export const httpEvent = (method: string, pathAndQuery: string, opts: { body?: unknown; headers?: Record<string, string>; stage?: string; base64?: boolean } = {}): APIGatewayProxyEventV2 => {
  const [path, query = ""] = pathAndQuery.split("?");
  const stage = opts.stage ?? "$default";
  const raw = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: stage === "$default" ? path : `/${stage}${path}`,
    rawQueryString: query,
    headers: { "content-type": "application/json", ...Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) },
    requestContext: {
      accountId: "000000000000", apiId: "api", domainName: "api.example.com", domainPrefix: "api", requestId: "r", routeKey: "$default", stage,
      time: "", timeEpoch: Date.now(),
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" },
    },
    body: raw === undefined ? undefined : opts.base64 ? Buffer.from(raw).toString("base64") : raw,
    isBase64Encoded: Boolean(opts.base64),
  };
};
