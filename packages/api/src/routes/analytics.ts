import { BadRequest, GLOBAL_TENANT, type Incident, type Ports, type Tenant } from "@ir/core";
import { readDailyStats } from "@ir/match";
import { tenantOf } from "../auth";
import { computeAnalytics, dayAfter, daysBetween } from "../analytics";
import type { Deps } from "../deps";
import { json, type Router } from "../router";

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;
/** One counter read per day: a year (and a leap day) is the most one request may cost. */
const MAX_DAYS = 366;
/** Top incidents come from the newest incidents opened in the window, never a full scan. */
const TOP_SCAN = 1000;

/** Years 1970 to 9999, the last day excepted: day names (and the day after each) sort as text and compare as dates. */
const FIRST_DAY = 0;
const LAST_DAY = Date.UTC(9999, 11, 30);
const dayName = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A date or timestamp, as the start (ms, UTC) of its day. */
const dayParam = (q: URLSearchParams, name: string, dflt: number) => {
  const raw = q.get(name);
  if (!raw) return dflt;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (!(t >= FIRST_DAY && t <= LAST_DAY)) throw new BadRequest(`${name}: expected an ISO date (YYYY-MM-DD) or timestamp from 1970-01-01 to 9999-12-30`);
  return t - (t % DAY_MS);
};

async function openedIn(ports: Ports, tenantId: string, from: string, to: string, service: string | null): Promise<Incident[]> {
  const out: Incident[] = [];
  let cursor: string | undefined;
  // Newest first from the window's end, stopping once past its start: a window a year back never reads the year since.
  while (out.length < TOP_SCAN) {
    const page = await ports.incidents.list(tenantId, { limit: 500, cursor, created_before: `${dayAfter(to)}T00:00:00.000Z`, ...(service ? { service } : {}) });
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
    const now = ports.clock.now().getTime();
    const to = dayParam(req.query, "to", now - (now % DAY_MS));
    const from = dayParam(req.query, "from", Math.max(FIRST_DAY, to - (DEFAULT_DAYS - 1) * DAY_MS));
    if (from > to) throw new BadRequest("from: must not be after to");
    if ((to - from) / DAY_MS + 1 > MAX_DAYS) throw new BadRequest(`from: the window may span at most ${MAX_DAYS} days`);
    const days = daysBetween(dayName(from), dayName(to));
    const service = req.query.get("service") || null;
    const [stats, recent] = await Promise.all([
      readDailyStats(ports, tenant.tenant_id, days, service ?? undefined),
      openedIn(ports, tenant.tenant_id, days[0], days[days.length - 1], service),
    ]);
    const figures = computeAnalytics({ from: days[0], to: days[days.length - 1], service, days: stats, recent });
    for (const rb of figures.runbook_effectiveness) rb.title = await titleOf(ports, tenant, rb.runbook_id);
    return json(200, figures);
  });
