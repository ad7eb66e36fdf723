import { BadRequest, type Tenant } from "@ir/core";
import { accept, admitWithinIncidentQuota, normalizeAlertmanager, normalizeSns, sourceOptions, type Accepted, type Normalized } from "@ir/ingest";
import { tenantOf } from "../auth";
import type { Deps } from "../deps";
import { parseJson } from "../parse";
import { json, type Router } from "../router";

const summary = (items: Accepted[]) => ({
  alarms: items.filter((i) => i.kind === "alarm").map((i) => (i as { alarm_id: string }).alarm_id),
  resolved: items.filter((i) => i.kind === "resolved").length,
  recorded: items.filter((i) => i.kind === "recorded").map((i) => (i as { reason: string }).reason),
});

export const ingestRoutes = (r: Router, deps: Deps) => {
  /** Every alert of a webhook is an alarm: the rate limit counts them, and the quota checks them, before any is accepted. */
  const admit = (tenant: Tenant, items: Normalized[]) => {
    deps.ingestLimiter.take(tenant, Math.max(1, items.length));
    return admitWithinIncidentQuota(deps.ports, tenant, items);
  };

  r.on("POST", "/api/v1/ingest/alertmanager", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const items = await admit(tenant, normalizeAlertmanager(parseJson(req), sourceOptions(tenant)));
    return json(202, { status: "queued", ...summary(await accept(deps.ports, tenant, items)) });
  });

  // SNS-over-HTTPS and EventBridge API destinations both land here; normalizeSns accepts either.
  r.on("POST", "/api/v1/ingest/cloudwatch", async ({ req }) => {
    const tenant = await tenantOf(deps, req);
    const items = normalizeSns(parseJson(req), sourceOptions(tenant));
    const sub = items.find((i) => i.kind === "subscription");
    if (sub && sub.kind === "subscription") {
      // The URL passed the AWS-region check in the normalizer; visiting it is what confirms the subscription.
      const res = await fetch(sub.subscribe_url, { redirect: "error", signal: AbortSignal.timeout(5000) }).catch(() => null);
      if (!res?.ok) throw new BadRequest("SubscribeURL could not be confirmed");
      return json(200, { status: "subscribed", topic_arn: sub.topic_arn });
    }
    return json(202, { status: "queued", ...summary(await accept(deps.ports, tenant, await admit(tenant, items))) });
  });
};
