import { BadRequest, type Incident } from "@ir/core";
import { tenantOf } from "../auth";
import { computeAnalytics } from "../analytics";
import type { Deps } from "../deps";
import { json, type Router } from "../router";

const DAY = 86_400_000;
const date = (q: URLSearchParams, name: string, dflt: Date) => {
  const raw = q.get(name);
  if (!raw) return dflt.toISOString();
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new BadRequest(`${name}: expected an ISO date`);
  return new Date(t).toISOString();
};

export const analyticsRoutes = (r: Router, deps: Deps) =>
  r.on("GET", "/api/v1/analytics", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const now = deps.ports.clock.now();
    const to = date(req.query, "to", new Date(now.getTime() + 1000));
    const from = date(req.query, "from", new Date(now.getTime() - 30 * DAY));
    if (from >= to) throw new BadRequest("from: must be before to");
    const service = req.query.get("service") ?? undefined;
    const incidents: Incident[] = [];
    let cursor: string | undefined;
    // Newest first: stop paging once we are past the window.
    do {
      const page = await deps.ports.incidents.list(tenant.tenant_id, { limit: 500, cursor, ...(service ? { service } : {}) });
      incidents.push(...page.items);
      cursor = page.items.length && page.items[page.items.length - 1].created_at >= from ? page.next_cursor ?? undefined : undefined;
    } while (cursor);
    return json(200, computeAnalytics(incidents, from, to));
  });
