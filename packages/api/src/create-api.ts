import { PayloadTooLarge, type Ports } from "@ir/core";
import { pollForOutcome, type ApiOptions, type Deps } from "./deps";
import { toResponse } from "./errors";
import { json, Router } from "./router";
import type { ApiHandler } from "./types";
import { IngestRateLimiter } from "./rate-limit";
import { tenantRoutes } from "./routes/tenants";
import { incidentRoutes } from "./routes/incidents";
import { runbookRoutes } from "./routes/runbooks";
import { suggestionRoutes } from "./routes/suggestions";
import { ingestRoutes } from "./routes/ingest";
import { accountRoutes } from "./routes/account";
import { analyticsRoutes } from "./routes/analytics";
import { settingsRoutes } from "./routes/settings";

/** SQS's message size: anything we accept must fit through the AWS runtime's queues too. */
export const MAX_BODY_BYTES = 256 * 1024;
/**
 * No id we issue is longer. A longer one names nothing, and is answered 404 before it reaches a store: DynamoDB
 * and S3 refuse keys past 1,024 bytes with errors that would answer 500.
 */
const MAX_ID_LENGTH = 256;

/** The whole HTTP contract as one function of (request) → response, shared by node:http and API Gateway. */
export function createApi(ports: Ports, options: ApiOptions): ApiHandler {
  const deps: Deps = {
    ports,
    adminKeyHash: options.adminKeyHash,
    waitForOutcome: options.waitForOutcome ?? pollForOutcome(ports),
    exclusive: options.exclusive ?? ((fn) => fn(ports)),
    dashboardHtml: options.dashboardHtml,
    // Read through ports.clock on every call: a runtime (or a test) may swap the clock after start-up.
    ingestLimiter: new IngestRateLimiter({ now: () => ports.clock.now() }),
  };
  // frame-ancestors is ignored in a <meta> policy: only a header keeps other sites from framing the dashboard.
  const NO_FRAMING = { "content-security-policy": "frame-ancestors 'none'", "x-frame-options": "DENY" };
  const router = new Router();
  router.on("GET", "/healthz", async () => json(200, { status: "ok" }));
  let doc: string | undefined;
  // Loaded on first request: the generator (zod-openapi, zod's JSON Schema code) is a sixth of a Lambda cold import.
  router.on("GET", "/openapi.json", async () => ({ status: 200, headers: { "content-type": "application/json" }, body: (doc ??= JSON.stringify((await import("./openapi")).openApiDocument())) }));
  router.on("GET", "/dashboard", async () =>
    deps.dashboardHtml ? { status: 200, headers: { "content-type": "text/html; charset=utf-8", ...NO_FRAMING }, body: deps.dashboardHtml() } : json(404, { error: { code: "not_found", message: "dashboard not built" } }));
  for (const register of [tenantRoutes, incidentRoutes, suggestionRoutes, runbookRoutes, ingestRoutes, accountRoutes, analyticsRoutes, settingsRoutes]) register(router, deps);

  return async (req) => {
    try {
      if (Buffer.byteLength(req.body) > MAX_BODY_BYTES) throw new PayloadTooLarge(MAX_BODY_BYTES);
      const m = router.match(req.method, req.path);
      if (!m) return json(404, { error: { code: "not_found", message: `no route for ${req.method} ${req.path.slice(0, 200)}` } });
      if ("allowed" in m) return json(405, { error: { code: "method_not_allowed", message: `use ${m.allowed.join(", ")}` } }, { allow: m.allowed.join(", ") });
      if (Object.values(m.params).some((v) => v.length > MAX_ID_LENGTH)) return json(404, { error: { code: "not_found", message: `no such id: longer than ${MAX_ID_LENGTH} characters` } });
      return await m.route({ req, params: m.params });
    } catch (err) {
      return toResponse(err, (e) => ports.log.error({ err: e, method: req.method, path: req.path.slice(0, 200) }, "unhandled error"));
    }
  };
}
