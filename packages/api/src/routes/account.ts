import { ingestPerSecondOf, monthOf, NotFound, NotificationSettings, retentionDaysOf, PLAN_LIMITS } from "@ir/core";
import { nextPeriodStart } from "@ir/ingest";
import { assignWebhookSecrets, keepMaskedSecrets, maskNotificationSettings, revealIssued, validateTargets } from "@ir/notify";
import { tenantOf } from "../auth";
import { audit } from "../audit";
import { DEFAULT_OVERLAP_SECONDS, issueKey, liveKeys, revokeKey, rotateKey } from "../key-lifecycle";
import { mutate, type Deps } from "../deps";
import { intParam, parseBody } from "../parse";
import { json, type Router } from "../router";
import { CreateKey, RotateKey } from "../request-bodies";


/** Keys, notification routing, usage, audit and erasure: what a tenant manages about itself. */
export const accountRoutes = (r: Router, deps: Deps) => {
  const { ports } = deps;
  const now = () => ports.clock.now().toISOString();

  r.on("POST", "/api/v1/keys", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const { label } = parseBody(req, CreateKey);
    const { key, apiKey } = await mutate(deps, tenant.tenant_id, (ports) => issueKey(ports, tenant.tenant_id, label, "api"));
    return json(201, { key_id: key.key_id, api_key: apiKey });
  });
  r.on("GET", "/api/v1/keys", async ({ req }) => json(200, { keys: await liveKeys(ports, (await tenantOf(deps, req)).tenant_id) }));
  r.on("DELETE", "/api/v1/keys/:id", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    await mutate(deps, tenant.tenant_id, (ports) => revokeKey(ports, tenant.tenant_id, params.id, "api"));
    return json(200, { status: "success", key_id: params.id });
  });
  /** Rotation: a new key now, the old one keeps working for the overlap window so deploys can roll. */
  r.on("POST", "/api/v1/keys/:id/rotate", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    const { overlap_seconds = DEFAULT_OVERLAP_SECONDS } = req.body.trim() ? parseBody(req, RotateKey) : {};
    return json(201, await mutate(deps, tenant.tenant_id, (ports) => rotateKey(ports, tenant.tenant_id, params.id, overlap_seconds, "api")));
  });

  /** A webhook channel without `secret` gets a signing secret, shown once in this answer (see assignWebhookSecrets). */
  r.on("PUT", "/api/v1/notifications", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const requested = parseBody(req, NotificationSettings);
    await validateTargets(requested, ports.settings.allowPrivateTargets);
    const signed = await mutate(deps, tenant.tenant_id, async (ports, cur) => {
      const signed = assignWebhookSecrets(keepMaskedSecrets(requested, cur.settings.notifications), cur.settings.notifications);
      await ports.tenants.update({ ...cur, settings: { ...cur.settings, notifications: signed.settings } });
      await audit(ports, tenant.tenant_id, "api", "settings.notifications_updated", tenant.tenant_id, { channels: requested.channels.map((c) => c.type) });
      return signed;
    });
    return json(200, revealIssued(signed, maskNotificationSettings(signed.settings)));
  });
  r.on("GET", "/api/v1/notifications", async ({ req }) => json(200, maskNotificationSettings((await tenantOf(deps, req)).settings.notifications)));

  r.on("GET", "/api/v1/usage", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const period = monthOf(now());
    const counts = await ports.usage.get(tenant.tenant_id, period);
    const limits = PLAN_LIMITS[tenant.plan];
    const lim = (n: number) => (n === Infinity ? null : n);
    return json(200, {
      period, plan: tenant.plan,
      incidents: { used: counts.incidents ?? 0, limit: lim(limits.incidentsPerMonth) },
      alarms: { used: counts.alarms ?? 0, limit: null },
      runbooks: { used: await ports.runbooks.count(tenant.tenant_id), limit: lim(limits.customRunbooks) },
      retention_days: retentionDaysOf(tenant),
      ingest_per_second: ingestPerSecondOf(tenant),
      resets_at: nextPeriodStart(ports.clock.now()),
    });
  });

  r.on("GET", "/api/v1/audit", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const page = await ports.audit.list(tenant.tenant_id, { limit: intParam(req.query, "limit", 100, 1, 1000), cursor: req.query.get("cursor") ?? undefined });
    return json(200, { events: page.items, next_cursor: page.next_cursor });
  });

  r.on("GET", "/api/v1/dlq", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const page = await ports.deadLetters.list(tenant.tenant_id, { limit: intParam(req.query, "limit", 50, 1, 500), cursor: req.query.get("cursor") ?? undefined });
    return json(200, { dead_letters: page.items.map(({ body: _b, ...d }) => d), next_cursor: page.next_cursor });
  });
  r.on("POST", "/api/v1/dlq/:id/replay", async ({ req, params }) => {
    const tenant = await tenantOf(deps, req);
    if (!(await mutate(deps, tenant.tenant_id, (ports) => ports.deadLetters.replay(tenant.tenant_id, params.id)))) throw new NotFound("dead letter");
    return json(202, { status: "replayed", id: params.id });
  });

  r.on("DELETE", "/api/v1/tenant", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    await mutate(deps, tenant.tenant_id, (ports) => ports.eraser.erase(tenant.tenant_id));
    return json(200, { status: "deleted", tenant_id: tenant.tenant_id });
  });
};
