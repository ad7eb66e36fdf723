import { createHash } from "node:crypto";
import * as z from "zod";
import { ALERTMANAGER_KEY_PREFIX, BadRequest } from "@ir/core";
import { parseBody } from "./parse-body";
import { severityFromLabel } from "./severity-label";
import { toIsoTimestamp } from "./timestamp";
import type { Normalized, SourceOptions } from "./types";

const StringMap = z.record(z.string(), z.string());

const Alert = z.looseObject({
  status: z.enum(["firing", "resolved"]),
  labels: StringMap,
  annotations: StringMap.nullish(),
  startsAt: z.string().nullish(),
  endsAt: z.string().nullish(),
  generatorURL: z.string().nullish(),
  fingerprint: z.string().nullish(),
});
type Alert = z.infer<typeof Alert>;

const Webhook = z.looseObject({
  version: z.string(),
  alerts: z.array(Alert),
  truncatedAlerts: z.number().nullish(),
});

const MAX_ERROR = 16_000;
const MAX_SERVICE = 200;

/**
 * In kube-prometheus alerts `job` names the exporter that scraped the metric (kube-state-metrics reports on
 * every pod in the cluster), not the service at fault; those jobs are skipped in favour of `namespace`.
 */
const EXPORTER_JOBS = new Set(["kube-state-metrics", "node-exporter", "prometheus-node-exporter", "kubelet", "cadvisor", "blackbox", "blackbox-exporter"]);

/**
 * Alertmanager says "version 4"; Grafana's alerting webhook is the same shape but says "1" and adds `orgId`,
 * so "1" is let in only with that mark, and any other version is refused rather than misread.
 */
const checkVersion = (body: unknown): void => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadRequest("body: expected an Alertmanager webhook object");
  const { version, orgId } = body as Record<string, unknown>;
  if (version === "4" || (version === "1" && orgId !== undefined)) return;
  throw new BadRequest(`version: expected "4" (Alertmanager webhook version 4), received ${version === undefined ? "nothing" : JSON.stringify(version)}`);
};

/** Alertmanager's own fingerprint is a hash of the label set; ours stands in for senders that omit it. */
const labelHash = (labels: Record<string, string>): string => {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 16);
};

const serviceOf = (labels: Record<string, string>): string | undefined => {
  const job = labels.job && !EXPORTER_JOBS.has(labels.job) ? labels.job : undefined;
  return [labels.service, job, labels.namespace, labels.alertname].find((v) => v && v.trim())?.trim();
};

const messageOf = (alert: Alert, annotations: Record<string, string>): string | undefined => {
  const detail = annotations.description || annotations.message;
  const text = [annotations.summary, detail].filter((v) => v && v.trim()).join(" — ");
  return text || alert.labels.alertname || undefined;
};

const normalizeAlert = (alert: Alert, index: number, opts: SourceOptions): Normalized => {
  const annotations = alert.annotations ?? {};
  const sourceKey = `${ALERTMANAGER_KEY_PREFIX}${alert.fingerprint || labelHash(alert.labels)}`;
  const name = alert.labels.alertname ?? "alert";

  if (alert.status === "resolved") {
    const endedAt = toIsoTimestamp(alert.endsAt);
    if (!endedAt) throw new BadRequest(`alerts[${index}].endsAt: expected a timestamp for a resolved alert`);
    // As for a CloudWatch OK: the answer must not say "resolved" when the match stage will leave the incident open.
    if (!opts.autoResolve) return { kind: "recorded", reason: `Alertmanager resolved ${name}: recorded, auto-resolve is off` };
    return {
      kind: "resolved",
      source: "alertmanager",
      source_key: sourceKey,
      resolved_by: "alertmanager",
      resolution: `Alertmanager resolved ${name}${annotations.summary ? `: ${annotations.summary}` : ""}`,
      occurred_at: endedAt,
    };
  }

  const service = serviceOf(alert.labels);
  const error = messageOf(alert, annotations);
  if (!service || !error) throw new BadRequest(`alerts[${index}].labels: expected alertname (or service, job, namespace)`);
  const startedAt = toIsoTimestamp(alert.startsAt);
  return {
    kind: "alarm",
    report: {
      error: error.slice(0, MAX_ERROR),
      service: service.slice(0, MAX_SERVICE),
      severity: severityFromLabel(alert.labels.severity, opts.defaultSeverity),
      metadata: {
        labels: alert.labels,
        annotations,
        ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
      },
      ...(startedAt ? { occurred_at: startedAt } : {}),
      source: "alertmanager",
      source_key: sourceKey,
    },
  };
};

/** An Alertmanager (or Grafana alerting) webhook: every firing alert opens, every resolved one resolves. */
export const normalizeAlertmanager = (body: unknown, opts: SourceOptions): Normalized[] => {
  checkVersion(body);
  const webhook = parseBody(Webhook, body);
  const out = webhook.alerts.map((alert, i) => normalizeAlert(alert, i, opts));
  // max_alerts cut the group short: say so, since those alerts will not arrive until the next notification.
  if (webhook.truncatedAlerts) out.push({ kind: "recorded", reason: `Alertmanager truncated ${webhook.truncatedAlerts} alerts from this notification` });
  return out;
};
