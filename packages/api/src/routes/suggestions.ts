import { NotFound, PaymentRequired, PLAN_LIMITS, RunbookInput, type Incident, type Runbook, type Tenant } from "@ir/core";
import { invalidateCatalog, suggestRunbooks, type RunbookSuggestion } from "@ir/match";
import { tenantOf } from "../auth";
import { audit } from "../audit";
import { mutate, type Deps } from "../deps";
import { parseBody } from "../parse";
import { json, type Router } from "../router";

/** Suggestions look at the newest resolved incidents only: a bounded read per request. */
const SCAN = 1000;
const ACCEPTED = "runbook_suggestions_accepted";
/** suggestion_id → what accepting it created; its incidents are not suggested again. */
type Accepted = Record<string, { runbook_id: string; incident_ids: string[]; accepted_at: string }>;

/** Accepting may edit the draft first; whatever is left out is taken from the suggestion. */
const AcceptBody = RunbookInput.partial();

/**
 * Draft runbooks for problems the team keeps fixing by hand. Registered before `/api/v1/runbooks/:id`,
 * which would otherwise take "suggestions" for a runbook id.
 */
export const suggestionRoutes = (r: Router, deps: Deps) => {
  const { ports } = deps;

  const current = async (tenant: Tenant): Promise<{ suggestions: RunbookSuggestion[]; accepted: Accepted }> => {
    const accepted = (await ports.kv.get<Accepted>(tenant.tenant_id, ACCEPTED)) ?? {};
    const resolved: Incident[] = [];
    let cursor: string | undefined;
    do {
      const page = await ports.incidents.list(tenant.tenant_id, { limit: 500, cursor, status: "RESOLVED" });
      resolved.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && resolved.length < SCAN);
    const done = new Set(Object.values(accepted).flatMap((a) => a.incident_ids));
    return { suggestions: suggestRunbooks(resolved.slice(0, SCAN), done).filter((s) => !accepted[s.suggestion_id]), accepted };
  };

  r.on("GET", "/api/v1/runbooks/suggestions", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    return json(200, { suggestions: (await current(tenant)).suggestions });
  });

  r.on("POST", "/api/v1/runbooks/suggestions/:id/accept", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    const edits = req.body.trim() ? parseBody(req, AcceptBody) : {};
    const runbook = await mutate(deps, tenant.tenant_id, async (ports) => {
      const { suggestions, accepted } = await current(tenant);
      const s = suggestions.find((x) => x.suggestion_id === params.id);
      if (!s) throw new NotFound("suggestion");
      const limit = PLAN_LIMITS[tenant.plan].customRunbooks;
      if ((await ports.runbooks.count(tenant.tenant_id)) >= limit) throw new PaymentRequired(`plan ${tenant.plan} allows ${limit} custom runbooks; delete one or upgrade`);
      const now = ports.clock.now().toISOString();
      const rb: Runbook = {
        runbook_id: ports.newId("rb"), tenant_id: tenant.tenant_id, title: edits.title ?? s.title, content: edits.content ?? s.content, tags: edits.tags ?? s.tags,
        created_at: now, updated_at: now, success_count: 0, failure_count: 0, created_by: "suggestion",
      };
      await ports.runbooks.put(rb);
      await ports.kv.put<Accepted>(tenant.tenant_id, ACCEPTED, { ...accepted, [s.suggestion_id]: { runbook_id: rb.runbook_id, incident_ids: s.incident_ids, accepted_at: now } });
      await audit(ports, tenant.tenant_id, "api", "runbook.created", rb.runbook_id, { title: rb.title, suggestion_id: s.suggestion_id });
      return rb;
    });
    invalidateCatalog(tenant.tenant_id);
    return json(201, { runbook_id: runbook.runbook_id, suggestion_id: params.id });
  });
};
