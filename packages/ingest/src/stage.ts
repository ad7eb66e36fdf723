import { AlarmReport, API_KEY_ATTRIBUTE, AWS_ACCOUNT_ATTRIBUTE, DomainError, FORWARDED_ATTRIBUTE, jsonDepthExceeds, Poison, type Ports, type StageHandler, type Tenant } from "@ir/core";
import { authenticate } from "./authenticate";
import { accept, asNormalized, sourceOptions } from "./accept";
import { detect, NORMALIZERS } from "./sources";
import { admitWithinIncidentQuota } from "./quota";
import { forwardedTenant } from "./forwarded";

/**
 * Who sent it: a producer on the ingest queue names its tenant with the key in `ir-api-key`; a forwarded
 * CloudWatch event carries no key, and the AWS account it came from names it once a tenant has verified the
 * account (null: the event was such a verification, not an alarm).
 */
async function tenantOf(ports: Ports, attributes: Record<string, string>, body: object): Promise<Tenant | null> {
  if (attributes[FORWARDED_ATTRIBUTE] !== "cloudwatch") return (await authenticate(ports, attributes[API_KEY_ATTRIBUTE])).tenant;
  const account = attributes[AWS_ACCOUNT_ATTRIBUTE];
  if (!account || (body as { account?: unknown }).account !== account) throw new Poison("forwarded event without a matching account");
  return forwardedTenant(ports, account, body);
}

/** SQS direct publish and forwarded CloudWatch events: the same bodies as the HTTP endpoints. */
export const ingestStage: StageHandler = async (event, ports) => {
  const raw = event.data as { body: string; attributes: Record<string, string> };
  let tenant: Tenant | undefined;
  try {
    let body: unknown;
    if (jsonDepthExceeds(raw.body)) throw new Poison("body nests too deeply");
    try { body = JSON.parse(raw.body); } catch { throw new Poison("body is not JSON"); }
    if (typeof body !== "object" || body === null) throw new Poison("body is not a JSON object");
    tenant = (await tenantOf(ports, raw.attributes, body)) ?? undefined;
    if (!tenant) return [];
    const format = detect(body);
    if (!format) throw new Poison("body is not an incident report, CloudWatch event, SNS notification or Alertmanager webhook");
    const items = format === "report" ? [asNormalized(parseReport(body))] : NORMALIZERS[format](body, sourceOptions(tenant));
    // Over the plan's limit, as on the HTTP webhook, only the alerts that would open an incident are turned away:
    // the resolutions and recurrences beside them must not wait in the dead-letter queue for someone to replay them.
    // A message of which nothing gets through is dead-lettered (plan_limit), to be replayed after an upgrade.
    const admitted = await admitWithinIncidentQuota(ports, tenant, items);
    const refused = admitted.filter((i, n) => i.kind === "recorded" && items[n].kind !== "recorded");
    if (refused.length) ports.log.warn({ tenant_id: tenant.tenant_id, event_id: event.id, refused: refused.length, reason: (refused[0] as { reason: string }).reason }, "alerts not queued");
    // SNS subscriptions arriving through SQS are confirmed by SQS itself; nothing to do.
    await accept(ports, tenant, admitted.filter((i) => i.kind !== "subscription"), { via: "sqs" });
    return [];
  } catch (err) {
    // Bad input never succeeds on retry: straight to the dead-letter queue, with the reason, listed to its tenant
    // once the key named one (a plan_limit message is theirs to replay after an upgrade).
    if (err instanceof DomainError) throw new Poison(`${err.code}: ${err.message}`, tenant?.tenant_id);
    if (err instanceof Poison && tenant && !err.tenantId) throw new Poison(err.message, tenant.tenant_id);
    throw err;
  }
};

const parseReport = (body: unknown) => {
  const r = AlarmReport.safeParse(body);
  if (!r.success) throw new Poison(`invalid report: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
};
