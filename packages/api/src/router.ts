import type { ApiRequest, ApiResponse } from "./types";

export interface RouteContext { req: ApiRequest; params: Record<string, string> }
export type Route = (ctx: RouteContext) => Promise<ApiResponse>;
interface Entry { method: string; parts: string[]; route: Route }

/** Paths are matched segment by segment; `:name` captures one segment. Small on purpose: the contract has ~30 routes. */
export class Router {
  private readonly entries: Entry[] = [];
  on(method: string, path: string, route: Route) {
    this.entries.push({ method, parts: path.split("/").filter(Boolean), route });
    return this;
  }
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } | null {
    const segs = path.split("/").filter(Boolean);
    const allowed: string[] = [];
    for (const e of this.entries) {
      if (e.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      const ok = e.parts.every((p, i) => {
        if (p.startsWith(":")) { try { params[p.slice(1)] = decodeURIComponent(segs[i]); return true; } catch { return false; } }
        return p === segs[i];
      });
      if (!ok) continue;
      if (e.method === method) return { route: e.route, params };
      allowed.push(e.method);
    }
    return allowed.length ? { allowed } : null;
  }
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse =>
  ({ status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });
