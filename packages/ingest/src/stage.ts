import { AlarmReport, DomainError, Poison, type StageHandler } from "@ir/core";
import { authenticate } from "./authenticate";
import { accept, asNormalized, sourceOptions } from "./accept";
import { detect, NORMALIZERS } from "./sources";

/** SQS direct publish: the same bodies as the HTTP endpoints, the tenant key in the `ir-api-key` attribute. */
export const ingestStage: StageHandler = async (event, ports) => {
  const raw = event.data as { body: string; attributes: Record<string, string> };
  try {
    const { tenant } = await authenticate(ports, raw.attributes["ir-api-key"]);
    let body: unknown;
    try { body = JSON.parse(raw.body); } catch { throw new Poison("body is not JSON"); }
    const format = detect(body);
    if (!format) throw new Poison("body is not an incident report, CloudWatch event, SNS notification or Alertmanager webhook");
    const items = format === "report" ? [asNormalized(parseReport(body))] : NORMALIZERS[format](body, sourceOptions(tenant));
    // SNS subscriptions arriving through SQS are confirmed by SQS itself; nothing to do.
    await accept(ports, tenant, items.filter((i) => i.kind !== "subscription"), { via: "sqs" });
    return [];
  } catch (err) {
    // Bad input never succeeds on retry: straight to the dead-letter queue, with the reason.
    if (err instanceof DomainError) throw new Poison(`${err.code}: ${err.message}`);
    throw err;
  }
};

const parseReport = (body: unknown) => {
  const r = AlarmReport.safeParse(body);
  if (!r.success) throw new Poison(`invalid report: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
};
