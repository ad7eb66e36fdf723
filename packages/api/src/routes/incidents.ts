import { AlarmReport, BadRequest, Conflict, hashKey, IncidentStatus, NotFound, type Tenant } from "@ir/core";
import { accept, asNormalized, checkIncidentQuota } from "@ir/ingest";
import { resolveIncident, appendHistory, readableRunbook } from "@ir/match";
import * as z from "zod";
import { tenantOf } from "../auth";
import { audit } from "../audit";
import { mutate, type Deps } from "../deps";
import { intParam, parseBody } from "../parse";
import { json, type Router } from "../router";
import { CommentBody, ResolveBody } from "../request-bodies";

const MAX_WAIT_S = 30;


/**
 * A resolve request names its resolution by what it says: a client retrying after a failure (its publish may
 * have failed after the incident was written) is the same resolution, completed and answered with the same event.
 */
const resolutionCause = (incidentId: string, b: z.infer<typeof ResolveBody>) =>
  `res_${hashKey(JSON.stringify([incidentId, b.resolution, b.resolved_by, b.runbook_id ?? null])).slice(0, 24)}`;

export const waitSeconds = (q: URLSearchParams) => intParam(q, "wait", 0, 0, MAX_WAIT_S);

export const incidentRoutes = (r: Router, deps: Deps) => {
  const { ports } = deps;
  const getIncident = async (tenant: Tenant, id: string) => {
    const inc = await ports.incidents.get(tenant.tenant_id, id);
    if (!inc) throw new NotFound("incident");
    return inc;
  };

  r.on("POST", "/api/v1/incidents", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const wait = waitSeconds(req.query);
    const report = parseBody(req, AlarmReport);
    const idem = req.headers["idempotency-key"];
    if (idem !== undefined && (idem.length === 0 || idem.length > 200)) throw new BadRequest("Idempotency-Key: expected 1 to 200 characters");
    const items = [asNormalized(report)];
    // A retry of an accepted report opens nothing and costs nothing: it is answered as the first was, whatever the limits say now.
    if (!idem || !(await ports.alarms.findByIdempotencyKey(tenant.tenant_id, idem))) {
      deps.ingestLimiter.take(tenant, 1);
      await checkIncidentQuota(ports, tenant, items);
    }
    // With a known key, accept answers the alarm that holds it (and finishes its writes, if a crash cut them short).
    const [res] = await accept(ports, tenant, items, { idempotencyKey: idem });
    if (res.kind !== "alarm") throw new Error("report did not become an alarm");
    if (wait > 0) {
      const outcome = await deps.waitForOutcome(tenant.tenant_id, res.alarm_id, wait * 1000);
      if (outcome && outcome.status !== "queued") return json(200, outcome);
    }
    return json(202, { alarm_id: res.alarm_id, status: "queued" });
  });

  r.on("GET", "/api/v1/alarms/:id", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    const wait = waitSeconds(req.query);
    let state = await ports.alarms.get(tenant.tenant_id, params.id);
    if (!state) throw new NotFound("alarm");
    if (state.status === "queued" && wait > 0) state = (await deps.waitForOutcome(tenant.tenant_id, params.id, wait * 1000)) ?? state;
    return json(200, state);
  });

  r.on("GET", "/api/v1/incidents", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const statusRaw = req.query.get("status");
    const status = statusRaw ? IncidentStatus.safeParse(statusRaw.toUpperCase()) : null;
    if (status && !status.success) throw new BadRequest("status: expected OPEN or RESOLVED");
    const page = await ports.incidents.list(tenant.tenant_id, {
      limit: intParam(req.query, "limit", 50, 1, 500), cursor: req.query.get("cursor") ?? undefined,
      ...(status?.success ? { status: status.data } : {}), ...(req.query.get("service") ? { service: req.query.get("service")! } : {}),
    });
    return json(200, { incidents: page.items, next_cursor: page.next_cursor });
  });

  r.on("GET", "/api/v1/incidents/:id", async ({ req, params }) => json(200, await getIncident(await tenantOf(deps, req), params.id)));

  r.on("POST", "/api/v1/incidents/:id/resolve", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    const body = parseBody(req, ResolveBody);
    await mutate(deps, tenant.tenant_id, async (ports) => {
      const inc = await getIncident(tenant, params.id);
      // A global runbook only for tenants that use them: for the others it does not exist (GET answers 404 too).
      if (body.runbook_id && !(await readableRunbook(ports, tenant, body.runbook_id))) {
        throw new BadRequest("runbook_id: no such runbook");
      }
      const cause = resolutionCause(inc.incident_id, body);
      // Resolved and done, by another resolution: a 200 would tell this caller its resolution and runbook were
      // recorded when nothing was. A retry of what is recorded, or naming the runbook a source-resolved incident lacks, goes on.
      const recorded = inc.resolution_cause === cause || (inc.resolution === body.resolution && inc.resolved_by === body.resolved_by && inc.resolved_runbook_id === (body.runbook_id ?? null));
      if (inc.status === "RESOLVED" && !inc.resolution_pending && !recorded && !(body.runbook_id && !inc.resolved_runbook_id)) {
        throw new Conflict(`incident already resolved by ${inc.resolved_by ?? "someone else"} at ${inc.resolved_at}`);
      }
      const { events } = await resolveIncident(ports, inc, body, cause);
      await ports.bus.publish(events);
    });
    return json(200, { status: "success", incident_id: params.id });
  });

  r.on("POST", "/api/v1/incidents/:id/comments", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    const body = parseBody(req, CommentBody);
    const now = ports.clock.now().toISOString();
    const inc = await mutate(deps, tenant.tenant_id, async (ports) => {
      const cur = await getIncident(tenant, params.id);
      const next = appendHistory(cur, { timestamp: now, event: "comment_added", user: body.user, comment: body.comment });
      await ports.incidents.put(next);
      await audit(ports, tenant.tenant_id, body.user, "incident.commented", params.id);
      return next;
    });
    return json(201, { status: "success", incident_id: inc.incident_id, history_length: inc.history.length });
  });
};
