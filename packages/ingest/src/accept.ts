import { createHash } from "node:crypto";
import { makeEvent, PayloadTooLarge, type Alarm, type Ports, type Tenant } from "@ir/core";
import type { Normalized, SourceOptions } from "./sources";
import type { AlarmReport } from "@ir/core";

type AlarmItem = Extract<Normalized, { kind: "alarm" }>;

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
 * A source alert's key and the time it started name one firing of it, so a delivery of the same firing again
 * (Alertmanager re-sends still-firing alerts with every change to their group; SNS and EventBridge retry)
 * counts once. A resolution is deduplicated the same way, by its key and the time it ended.
 */
const redeliveryKey = (r: AlarmItem["report"]): string | undefined => (r.source_key && r.occurred_at ? `${r.source_key}@${r.occurred_at}` : undefined);

/**
 * A firing seen before that was resolved after it began is the alert firing on, not a re-delivery: Alertmanager
 * resolves an alert whose updates stop for a while, and keeps its startsAt when they resume. Paging again beats
 * staying silent. Read only for re-deliveries, never on a first delivery.
 */
async function resolvedSinceFiring(ports: Ports, alarm: Alarm): Promise<boolean> {
  const id = alarm.source_key ? await ports.incidents.findBySourceKey(alarm.tenant_id, alarm.source_key) : null;
  const incident = id ? await ports.incidents.get(alarm.tenant_id, id) : null;
  if (!incident) return false;
  // Its own resolve is on record while sibling alerts of its group keep the incident open: firing again clears it.
  if (alarm.source_key && incident.resolved_source_keys?.includes(alarm.source_key)) return true;
  return incident.status === "RESOLVED" && !!incident.resolved_at && Date.parse(incident.resolved_at) >= Date.parse(alarm.occurred_at);
}

/**
 * The most an alarm may weigh once recorded (metadata included). Events carry it through every stage, growing on
 * the way (the decision adds its outcome), and EventBridge takes 256 KB an event: past that a stage after the 202
 * would fail it for good. Real alarms weigh a few KB.
 */
export const MAX_ALARM_BYTES = 96 * 1024;
/**
 * Source keys are DynamoDB sort keys (1 KB at most, with their prefix) and kv keys: a longer one is kept recognizable
 * and hashed. Every real alarm ARN (about 50 bytes and a name of at most 255) stays as it is.
 */
const MAX_SOURCE_KEY_BYTES = 700;
const boundedKey = (key: string): string =>
  Buffer.byteLength(key) <= MAX_SOURCE_KEY_BYTES ? key : `${key.slice(0, 128)}#sha256:${createHash("sha256").update(key).digest("hex")}`;

/**
 * Turn normalized source items into durable pipeline input. Ingest never does slow work: an alarm is
 * recorded and queued, a resolution is queued for the match stage, which owns incident writes.
 */
export async function accept(ports: Ports, tenant: Tenant, items: Normalized[], opts: { idempotencyKey?: string; via?: Alarm["source"] } = {}): Promise<Accepted[]> {
  const now = ports.clock.now().toISOString();
  const out: Accepted[] = [];
  for (const [i, item] of items.entries()) {
    if (item.kind === "alarm") {
      const r = item.report.source_key ? { ...item.report, source_key: boundedKey(item.report.source_key) } : item.report;
      const alarm: Alarm = {
        alarm_id: ports.newId("alm"), tenant_id: tenant.tenant_id, source: opts.via ?? r.source, error: r.error, service: r.service,
        severity: r.severity ?? tenant.settings.default_severity, metadata: r.metadata, occurred_at: r.occurred_at ?? now, received_at: now,
        ...(r.source_key ? { source_key: r.source_key } : {}),
      };
      if (Buffer.byteLength(JSON.stringify(alarm)) > MAX_ALARM_BYTES) {
        // One alert of a webhook is turned away, not the others (its sender would not retry them).
        if (items.length === 1) throw new PayloadTooLarge(MAX_ALARM_BYTES, "the alarm as recorded (error, service and metadata)");
        out.push({ kind: "recorded", reason: `not queued: alert ${i} exceeds ${MAX_ALARM_BYTES} bytes as recorded` });
        continue;
      }
      // One key per request; a multi-alert webhook retried by its sender maps each alert to its own slot.
      const requestKey = opts.idempotencyKey ? (items.length > 1 ? `${opts.idempotencyKey}#${i}` : opts.idempotencyKey) : undefined;
      let res = await ports.alarms.accept(alarm, requestKey ?? redeliveryKey(r));
      // The sender's own key is final; ours gives way once the firing has outlived a resolve. Only Alertmanager
      // re-sends a live alert with its old start: from CloudWatch, SNS and EventBridge a repeat is a retry of a
      // state change already seen, and reopening on it would page for an alarm that is OK.
      if (res.duplicate && !requestKey && r.source === "alertmanager" && (await resolvedSinceFiring(ports, alarm))) res = await ports.alarms.accept(alarm, undefined);
      out.push({ kind: "alarm", ...res });
    } else if (item.kind === "resolved") {
      const data = { tenant_id: tenant.tenant_id, source: item.source, source_key: boundedKey(item.source_key), resolved_by: item.resolved_by, resolution: item.resolution, occurred_at: item.occurred_at };
      await ports.bus.publish([makeEvent("alarm.resolved", tenant.tenant_id, `${data.source_key}@${item.occurred_at}`, data, now)]);
      out.push({ kind: "resolved", source_key: data.source_key });
    } else {
      out.push(item);
    }
  }
  return out;
}
