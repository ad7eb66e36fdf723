import { makeEvent, type Alarm, type Ports, type Tenant } from "@ir/core";
import type { Normalized, SourceOptions } from "./sources";
import type { AlarmReport } from "@ir/core";

export type Accepted =
  | { kind: "alarm"; alarm_id: string; duplicate: boolean }
  | { kind: "resolved"; source_key: string }
  | { kind: "recorded"; reason: string }
  | { kind: "subscription"; subscribe_url: string; topic_arn: string };

export const sourceOptions = (tenant: Tenant): SourceOptions => ({
  serviceFrom: tenant.settings.cloudwatch_service_from,
  defaultSeverity: tenant.settings.default_severity,
  autoResolve: tenant.settings.auto_resolve,
});

export const asNormalized = (report: AlarmReport): Normalized => ({ kind: "alarm", report: { ...report, metadata: report.metadata ?? {}, source: "http" } });

/**
 * Turn normalized source items into durable pipeline input. Ingest never does slow work: an alarm is
 * recorded and queued, a resolution is queued for the match stage, which owns incident writes.
 */
export async function accept(ports: Ports, tenant: Tenant, items: Normalized[], opts: { idempotencyKey?: string; via?: Alarm["source"] } = {}): Promise<Accepted[]> {
  const now = ports.clock.now().toISOString();
  const out: Accepted[] = [];
  for (const [i, item] of items.entries()) {
    if (item.kind === "alarm") {
      const r = item.report;
      const alarm: Alarm = {
        alarm_id: ports.newId("alm"), tenant_id: tenant.tenant_id, source: opts.via ?? r.source, error: r.error, service: r.service,
        severity: r.severity ?? tenant.settings.default_severity, metadata: r.metadata, occurred_at: r.occurred_at ?? now, received_at: now,
        ...(r.source_key ? { source_key: r.source_key } : {}),
      };
      // One key per request; a multi-alert webhook retried by its sender maps each alert to its own slot.
      const key = opts.idempotencyKey ? (items.length > 1 ? `${opts.idempotencyKey}#${i}` : opts.idempotencyKey) : undefined;
      const res = await ports.alarms.accept(alarm, key);
      out.push({ kind: "alarm", ...res });
    } else if (item.kind === "resolved") {
      const data = { tenant_id: tenant.tenant_id, source: item.source, source_key: item.source_key, resolved_by: item.resolved_by, resolution: item.resolution, occurred_at: item.occurred_at };
      await ports.bus.publish([makeEvent("alarm.resolved", tenant.tenant_id, `${item.source_key}@${item.occurred_at}`, data, now)]);
      out.push({ kind: "resolved", source_key: item.source_key });
    } else {
      out.push(item);
    }
  }
  return out;
}
