import { describe, expect, it } from "vitest";
import { normalizeAlertmanager, type Normalized } from "../src/sources";
import { OPTS, badRequestOf, readPayload } from "./fixtures";

type Body = Record<string, any>;
const realWebhook = (): Body => readPayload("alertmanager-webhook.json");

const firing = (labels: Record<string, string>, annotations: Record<string, string> = {}, extra: Body = {}): Body => ({
  version: "4",
  status: "firing",
  receiver: "ir",
  alerts: [{ status: "firing", labels, annotations, startsAt: "2024-06-01T10:00:00.123456789Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "http://prom/graph", ...extra }],
});

const onlyAlarm = (out: Normalized[]) => {
  expect(out).toHaveLength(1);
  const [first] = out;
  if (first.kind !== "alarm") throw new Error(`expected an alarm, got ${first.kind}`);
  return first.report;
};

describe("normalizeAlertmanager", () => {
  it("maps the real webhook: the firing alert opens, the resolved one resolves", () => {
    // act
    const [opened, resolved, ...rest] = normalizeAlertmanager(realWebhook(), OPTS);

    // assess
    expect(rest).toEqual([]);
    expect(opened).toEqual({
      kind: "alarm",
      report: {
        error:
          "Pod is crash looping. — Pod payments/ledger-worker-7d9c5b8f4-x2k8q (ledger-worker) is in waiting state (reason: \"CrashLoopBackOff\") on cluster prod-eu-west-1.",
        // job is kube-state-metrics, the exporter, so the namespace names the service.
        service: "payments",
        severity: "MEDIUM",
        metadata: {
          labels: expect.objectContaining({ alertname: "KubePodCrashLooping", pod: "ledger-worker-7d9c5b8f4-x2k8q" }),
          annotations: expect.objectContaining({ runbook_url: "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping" }),
          generatorURL: expect.stringMatching(/^http:\/\/prometheus-k8s-0:9090\/graph\?/),
        },
        occurred_at: "2024-06-01T10:02:30.318Z",
        source: "alertmanager",
        source_key: "alertmanager:ab4f8399587c8598",
      },
    });
    expect(resolved).toEqual({
      kind: "resolved",
      source: "alertmanager",
      source_key: "alertmanager:6bc595be128021be",
      resolved_by: "alertmanager",
      resolution: "Alertmanager resolved KubePodNotReady: Pod has been in a non-ready state for more than 15 minutes.",
      occurred_at: "2024-06-01T10:11:30.318Z",
    });
  });

  it("records a resolved alert instead of resolving when the tenant turned auto-resolve off", () => {
    const [opened, resolved] = normalizeAlertmanager(realWebhook(), { ...OPTS, autoResolve: false });
    expect(opened.kind).toBe("alarm");
    expect(resolved).toEqual({ kind: "recorded", reason: "Alertmanager resolved KubePodNotReady: recorded, auto-resolve is off" });
  });

  it.each<{ labels: Record<string, string>; service: string }>([
    { labels: { alertname: "A", service: "checkout", job: "api", namespace: "shop" }, service: "checkout" },
    { labels: { alertname: "A", job: "api", namespace: "shop" }, service: "api" },
    { labels: { alertname: "A", job: "node-exporter", namespace: "shop" }, service: "shop" },
    { labels: { alertname: "A", namespace: "shop" }, service: "shop" },
    { labels: { alertname: "HighLatency" }, service: "HighLatency" },
  ])("service from $labels is $service", ({ labels, service }) => {
    // act
    const report = onlyAlarm(normalizeAlertmanager(firing(labels), OPTS));

    // assess
    expect(report.service).toBe(service);
  });

  it.each([
    { severity: "critical", expected: "CRITICAL" },
    { severity: "Warning", expected: "MEDIUM" },
    { severity: "info", expected: "LOW" },
    { severity: "error", expected: "HIGH" },
    // kube-prometheus's always-firing Watchdog says "none".
    { severity: "none", expected: "LOW" },
    { severity: "page", expected: "CRITICAL" },
    { severity: "sometimes", expected: "HIGH" },
    { severity: undefined, expected: "HIGH" },
  ])("severity label $severity is $expected (tenant default HIGH)", ({ severity, expected }) => {
    // prepare
    const labels: Record<string, string> = { alertname: "A", ...(severity ? { severity } : {}) };

    // act
    const report = onlyAlarm(normalizeAlertmanager(firing(labels), { ...OPTS, defaultSeverity: "HIGH" }));

    // assess
    expect(report.severity).toBe(expected);
  });

  it.each<{ annotations: Record<string, string>; error: string }>([
    { annotations: { summary: "Disk full", description: "on /var" }, error: "Disk full — on /var" },
    { annotations: { summary: "Disk full", message: "on /var" }, error: "Disk full — on /var" },
    { annotations: { message: "on /var" }, error: "on /var" },
    // With both, description wins: the Prometheus convention (older kubernetes-mixin rules wrote message).
    { annotations: { summary: "Disk full", description: "on /var at 98%", message: "on /var" }, error: "Disk full — on /var at 98%" },
    { annotations: { summary: "Disk full" }, error: "Disk full" },
    { annotations: {}, error: "DiskFull" },
  ])("message from annotations $annotations", ({ annotations, error }) => {
    // act
    const report = onlyAlarm(normalizeAlertmanager(firing({ alertname: "DiskFull" }, annotations), OPTS));

    // assess
    expect(report.error).toBe(error);
  });

  it("keys an alert without fingerprint by its label set, whatever the label order", () => {
    // prepare
    const a = firing({ alertname: "A", pod: "p1", namespace: "n" });
    const b = firing({ namespace: "n", pod: "p1", alertname: "A" });
    const other = firing({ alertname: "A", pod: "p2", namespace: "n" });

    // act
    const [keyA, keyB, keyOther] = [a, b, other].map((body) => onlyAlarm(normalizeAlertmanager(body, OPTS)).source_key);

    // assess
    expect(keyA).toMatch(/^alertmanager:[0-9a-f]{16}$/);
    expect(keyA).toBe(keyB);
    expect(keyA).not.toBe(keyOther);
  });

  it("keeps Go's nanosecond timestamps as valid ISO", () => {
    // act
    const report = onlyAlarm(normalizeAlertmanager(firing({ alertname: "A" }), OPTS));

    // assess
    expect(report.occurred_at).toBe("2024-06-01T10:00:00.123456789Z");
  });

  it("accepts Grafana alerting's webhook (version 1 with orgId)", () => {
    // prepare
    const body = { ...firing({ alertname: "High memory usage", team: "blue" }, { summary: "zone us-1" }, { fingerprint: "c6eadffa33fcdf37", values: { B: 44.2 } }), version: "1", orgId: 1, state: "alerting" };

    // act
    const report = onlyAlarm(normalizeAlertmanager(body, OPTS));

    // assess
    expect(report).toMatchObject({ service: "High memory usage", error: "zone us-1", source_key: "alertmanager:c6eadffa33fcdf37" });
  });

  it("notes alerts that Alertmanager truncated", () => {
    // prepare
    const body = { ...firing({ alertname: "A" }), truncatedAlerts: 3 };

    // act
    const out = normalizeAlertmanager(body, OPTS);

    // assess
    expect(out.map((n) => n.kind)).toEqual(["alarm", "recorded"]);
  });

  it("returns nothing for a webhook without alerts", () => {
    // act
    const out = normalizeAlertmanager({ ...realWebhook(), alerts: [] }, OPTS);

    // assess
    expect(out).toEqual([]);
  });

  it.each([
    { version: "3", message: 'version: expected "4" (Alertmanager webhook version 4), received "3"' },
    { version: 4, message: 'version: expected "4" (Alertmanager webhook version 4), received 4' },
    { version: "1", message: 'version: expected "4" (Alertmanager webhook version 4), received "1"' },
    { version: undefined, message: 'version: expected "4" (Alertmanager webhook version 4), received nothing' },
  ])("rejects version $version", ({ version, message }) => {
    // prepare
    const body = { ...realWebhook(), version };

    // act
    const error = badRequestOf(() => normalizeAlertmanager(body, OPTS));

    // assess
    expect(error.status).toBe(400);
    expect(error.message).toBe(message);
  });

  it.each([
    { name: "alerts", change: (b: Body) => delete b.alerts, message: /^alerts: missing, expected array$/ },
    { name: "labels", change: (b: Body) => (b.alerts[0].labels = "alertname=A"), message: /^alerts\[0\]\.labels: expected object, received string$/ },
    { name: "a label value", change: (b: Body) => (b.alerts[1].labels.pod = 7), message: /^alerts\[1\]\.labels\.pod: expected string, received number$/ },
    { name: "status", change: (b: Body) => (b.alerts[0].status = "pending"), message: /^alerts\[0\]\.status: expected one of "firing"\|"resolved"$/ },
    { name: "endsAt of a resolved alert", change: (b: Body) => (b.alerts[1].endsAt = "0001-01-01T00:00:00Z"), message: /^alerts\[1\]\.endsAt: / },
    { name: "labels with nothing to name the alert", change: (b: Body) => (b.alerts[0].labels = { pod: "x" }), message: /^alerts\[0\]\.labels: expected alertname/ },
  ])("rejects a broken $name with a BadRequest naming it", ({ change, message }) => {
    // prepare
    const body = realWebhook();
    change(body);

    // act
    const error = badRequestOf(() => normalizeAlertmanager(body, OPTS));

    // assess
    expect(error.message).toMatch(message);
  });

  it("rejects a non-object body", () => {
    // act
    const error = badRequestOf(() => normalizeAlertmanager([1], OPTS));

    // assess
    expect(error.message).toBe("body: expected an Alertmanager webhook object");
  });
});
