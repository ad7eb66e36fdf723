import type { Alarm } from "@ir/core";

/**
 * What the runbook ranking reads for an alarm: its service, the alert's own name when the source gave
 * one (Alertmanager's `alertname` label, CloudWatch's alarm name), and the message. Runbooks are usually
 * named after the alert they answer, while the message says what happened in other words.
 */
export function runbookQuery(alarm: Pick<Alarm, "service" | "error" | "metadata">): string {
  const m = alarm.metadata as { labels?: { alertname?: unknown }; alarmName?: unknown };
  const name = [m.labels?.alertname, m.alarmName].find((v): v is string => typeof v === "string" && v.trim() !== "");
  return name && !alarm.error.includes(name) ? `${alarm.service} ${name} ${alarm.error}` : `${alarm.service} ${alarm.error}`;
}
