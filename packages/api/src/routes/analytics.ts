import { BadRequest, GLOBAL_TENANT, type Incident, type Ports, type Tenant } from "@ir/core";
import { readDailyStats } from "@ir/match";
import { tenantOf } from "../auth";
import { computeAnalytics, daysBetween } from "../analytics";
import type { Deps } from "../deps";
import { json, type Router } from "../router";

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;
/** One counter read per day: a year (and a leap day) is the most one request may cost. */
const MAX_DAYS = 366;
/** Top incidents come from the newest incidents opened in the window, never a full scan. */
const TOP_SCAN = 1000;

const dayParam = (q: URLSearchParams, name: string, dflt: string) => {
  const raw = q.get(name);
  if (!raw) return dflt;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  const day = Number.isNaN(t) ? "" : new Date(t).toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new BadRequest(`${name}: expected an ISO date (YYYY-MM-DD) or timestamp`);
  return day;
};

async function openedIn(ports: Ports, tenantId: string, from: string, to: string, service: string | null): Promise<Incident[]> {
  const out: Incident[] = [];
  let cursor: string | undefined;
  // Newest first: skip what is after the window, stop once past its start.
  while (out.length < TOP_SCAN) {
    const page = await ports.incidents.list(tenantId, { limit: 500, cursor, ...(service ? { service } : {}) });
    for (const i of page.items) {
      const day = i.created_at.slice(0, 10);
      if (day < from) return out;
      if (day <= to && out.length < TOP_SCAN) out.push(i);
    }
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}

async function titleOf(ports: Ports, tenant: Tenant, id: string) {
  const rb = (await ports.runbooks.get(tenant.tenant_id, id)) ?? (await ports.runbooks.get(GLOBAL_TENANT, id));
  return rb?.title ?? id;
}

export const analyticsRoutes = (r: Router, deps: Deps) =>
  r.on("GET", "/api/v1/analytics", async ({ req }) => {
    const { ports } = deps;
    const tenant = await tenantOf(deps, req);
    const today = ports.clock.now().toISOString().slice(0, 10);
    const to = dayParam(req.query, "to", today);
    const from = dayParam(req.query, "from", new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS).toISOString().slice(0, 10));
    if (from > to) throw new BadRequest("from: must not be after to");
    if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_DAYS) throw new BadRequest(`from: the window may span at most ${MAX_DAYS} days`);
    const days = daysBetween(from, to);
    const service = req.query.get("service") || null;
    const [stats, recent] = await Promise.all([
      readDailyStats(ports, tenant.tenant_id, days, service ?? undefined),
      openedIn(ports, tenant.tenant_id, from, to, service),
    ]);
    const figures = computeAnalytics({ from, to, service, days: stats, recent });
    for (const rb of figures.runbook_effectiveness) rb.title = await titleOf(ports, tenant, rb.runbook_id);
    return json(200, figures);
  });
