import { NotFound, PaymentRequired, PLAN_LIMITS, RunbookInput, tenantNamespace, type Runbook, type Tenant } from "@ir/core";
import { invalidateCatalog, loadStats, readableRunbook } from "@ir/match";
import { tenantOf } from "../auth";
import { audit } from "../audit";
import { mutate, type Deps } from "../deps";
import { intParam, parseBody } from "../parse";
import { json, type Router } from "../router";

export const runbookRoutes = (r: Router, deps: Deps) => {
  const { ports } = deps;
  /** Global runbooks are readable by tenants that use them, writable by none. */
  const readable = async (tenant: Tenant, id: string) => {
    const rb = await readableRunbook(ports, tenant, id);
    if (!rb) throw new NotFound("runbook");
    return rb;
  };
  const own = async (tenant: Tenant, id: string) => {
    const rb = await ports.runbooks.get(tenant.tenant_id, id);
    if (!rb) throw new NotFound("runbook");
    return rb;
  };
  const changed = (tenant: Tenant) => invalidateCatalog(tenant.tenant_id);
  /** Successes are counted per tenant (atomic counters, see learning.ts), not on the document: shown as the tenant's. */
  const withCounts = async (tenant: Tenant, runbooks: Runbook[]) => {
    if (!runbooks.length) return runbooks;
    const stats = await loadStats(ports, tenant.tenant_id);
    return runbooks.map((rb) => stats.view(rb));
  };

  r.on("POST", "/api/v1/runbooks", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const body = parseBody(req, RunbookInput);
    const now = ports.clock.now().toISOString();
    const rb: Runbook = { runbook_id: ports.newId("rb"), tenant_id: tenant.tenant_id, title: body.title, content: body.content, tags: body.tags ?? [], created_at: now, updated_at: now, success_count: 0, failure_count: 0, created_by: "api" };
    await mutate(deps, tenant.tenant_id, async (ports) => {
      const limit = PLAN_LIMITS[tenant.plan].customRunbooks;
      if ((await ports.runbooks.count(tenant.tenant_id)) >= limit) throw new PaymentRequired(`plan ${tenant.plan} allows ${limit} custom runbooks; delete one or upgrade`);
      await ports.runbooks.put(rb);
      await audit(ports, tenant.tenant_id, "api", "runbook.created", rb.runbook_id, { title: rb.title });
    });
    changed(tenant);
    return json(201, { runbook_id: rb.runbook_id });
  });

  r.on("GET", "/api/v1/runbooks", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const page = await ports.runbooks.list(tenant.tenant_id, { limit: intParam(req.query, "limit", 50, 1, 500), cursor: req.query.get("cursor") ?? undefined });
    return json(200, { runbooks: await withCounts(tenant, page.items), next_cursor: page.next_cursor });
  });

  r.on("GET", "/api/v1/runbooks/:id", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    const [rb] = await withCounts(tenant, [await readable(tenant, params.id)]);
    return json(200, rb);
  });

  r.on("PUT", "/api/v1/runbooks/:id", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    const body = parseBody(req, RunbookInput);
    const next = await mutate(deps, tenant.tenant_id, async (ports) => {
      const cur = await own(tenant, params.id);
      const upd: Runbook = { ...cur, title: body.title, content: body.content, tags: body.tags ?? cur.tags, updated_at: ports.clock.now().toISOString() };
      await ports.runbooks.put(upd);
      await audit(ports, tenant.tenant_id, "api", "runbook.updated", params.id);
      return upd;
    });
    changed(tenant);
    const [shown] = await withCounts(tenant, [next]);
    return json(200, shown);
  });

  r.on("DELETE", "/api/v1/runbooks/:id", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    await mutate(deps, tenant.tenant_id, async (ports) => {
      await own(tenant, params.id);
      await ports.runbooks.delete(tenant.tenant_id, params.id);
      await ports.vectors.delete(tenantNamespace(tenant.tenant_id), [params.id]);
      await audit(ports, tenant.tenant_id, "api", "runbook.deleted", params.id);
    });
    changed(tenant);
    return json(200, { status: "success", runbook_id: params.id });
  });
};
