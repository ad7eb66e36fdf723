import { describe, expect, it } from "vitest";
import { normalizeCloudWatch, type Normalized } from "../src/sources";
import { OPTS, badRequestOf, readPayload } from "./fixtures";

type Event = Record<string, any>;
const realEvent = (): Event => readPayload("cloudwatch-alarm-state-change.json");

const withState = (event: Event, value: string, extra: Record<string, unknown> = {}): Event => {
  event.detail.state = { ...event.detail.state, value, ...extra };
  return event;
};

const onlyAlarm = (out: Normalized[]) => {
  expect(out).toHaveLength(1);
  const [first] = out;
  if (first.kind !== "alarm") throw new Error(`expected an alarm, got ${first.kind}`);
  return first.report;
};

const metricEvent = (dimensions: Record<string, string>, configuration: Record<string, unknown> = {}): Event => {
  const event = realEvent();
  event.detail.configuration = {
    ...event.detail.configuration,
    metrics: [{ id: "m1", metricStat: { metric: { namespace: "AWS/X", name: "Errors", dimensions }, period: 60, stat: "Sum" }, returnData: true }],
    ...configuration,
  };
  return event;
};

describe("normalizeCloudWatch", () => {
  it("maps the real EventBridge ALARM event", () => {
    // prepare
    const event = realEvent();

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, OPTS));

    // assess
    expect(report).toMatchObject({
      service: "i-12345678901234567",
      severity: "MEDIUM",
      occurred_at: "2019-10-02T17:04:40Z",
      source: "cloudwatch",
      source_key: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh",
    });
    expect(report.error).toBe(
      "ServerCpuTooHigh — Goes into alarm when server CPU utilization is too high! — " +
        "Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).",
    );
    expect(report.metadata).toMatchObject({
      threshold: 50,
      recentDatapoints: [99.50160229693434],
      statistic: "Average",
      period: 300,
      namespace: "AWS/EC2",
      metricName: "CPUUtilization",
      dimensions: { InstanceId: "i-12345678901234567" },
      previousState: "OK",
      state: "ALARM",
    });
  });

  it.each([
    { state: "OK", autoResolve: true, kind: "resolved" },
    { state: "OK", autoResolve: false, kind: "recorded" },
    { state: "INSUFFICIENT_DATA", autoResolve: true, kind: "recorded" },
    { state: "INSUFFICIENT_DATA", autoResolve: false, kind: "recorded" },
    { state: "ALARM", autoResolve: false, kind: "alarm" },
  ])("state $state with autoResolve=$autoResolve is $kind", ({ state, autoResolve, kind }) => {
    // prepare
    const event = withState(realEvent(), state);

    // act
    const [out] = normalizeCloudWatch(event, { ...OPTS, autoResolve });

    // assess
    expect(out.kind).toBe(kind);
  });

  it("resolves by the same key the ALARM opened with", () => {
    // prepare
    const alarm = onlyAlarm(normalizeCloudWatch(realEvent(), OPTS));

    // act
    const [resolved] = normalizeCloudWatch(withState(realEvent(), "OK"), OPTS);

    // assess
    expect(resolved).toEqual({
      kind: "resolved",
      source: "cloudwatch",
      source_key: alarm.source_key,
      resolved_by: "cloudwatch",
      resolution: expect.stringContaining("ServerCpuTooHigh returned to OK"),
      occurred_at: "2019-10-02T17:04:40Z",
    });
  });

  it.each([
    { name: "broken JSON", reasonData: "{\"threshold\": 50.0, \"recentDat", expected: { reasonData: "{\"threshold\": 50.0, \"recentDat" } },
    { name: "absent", reasonData: undefined, expected: {} },
    { name: "a JSON array", reasonData: "[1,2]", expected: { reasonData: "[1,2]" } },
    { name: "already an object", reasonData: { threshold: 7 }, expected: { threshold: 7 } },
  ])("tolerates reasonData that is $name", ({ reasonData, expected }) => {
    // prepare
    const event = withState(realEvent(), "ALARM", { reasonData });

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, OPTS));

    // assess
    expect(report.metadata).toMatchObject(expected);
    expect(report.metadata).not.toHaveProperty("recentDatapoints");
  });

  it("dates by state.timestamp when the event has no time, normalizing +0000 to ISO", () => {
    // prepare
    const event = realEvent();
    delete event.time;

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, OPTS));

    // assess
    expect(report.occurred_at).toBe("2019-10-02T17:04:40.989+00:00");
  });

  it("builds the alarm ARN from region, account and name when resources are missing", () => {
    // prepare
    const event = realEvent();
    event.resources = [];

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, OPTS));

    // assess
    expect(report.source_key).toBe("arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh");
  });

  it.each<{ name: string; dimensions: Record<string, string>; service: string }>([
    { name: "Lambda: FunctionName over Resource", dimensions: { Resource: "checkout:live", FunctionName: "checkout" }, service: "checkout" },
    { name: "ECS: ServiceName over ClusterName", dimensions: { ClusterName: "prod", ServiceName: "payments-api" }, service: "payments-api" },
    { name: "SQS: QueueName", dimensions: { QueueName: "orders-dlq" }, service: "orders-dlq" },
    { name: "ALB: the name without its id", dimensions: { LoadBalancer: "app/edge-alb/50dc6c495c0c9188" }, service: "edge-alb" },
    { name: "unknown names: the first", dimensions: { Host: "web-1", Disk: "sda" }, service: "web-1" },
  ])("service from dimensions — $name", ({ dimensions, service }) => {
    // prepare
    const event = metricEvent(dimensions);

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, OPTS));

    // assess
    expect(report.service).toBe(service);
  });

  it.each([
    { where: "configuration.tags as a map", put: (e: Event) => (e.detail.configuration.tags = { Service: "billing", Severity: "Critical" }) },
    { where: "configuration.tags as [{Key, Value}]", put: (e: Event) => (e.detail.configuration.tags = [{ Key: "service", Value: "billing" }, { Key: "severity", Value: "critical" }]) },
    { where: "detail.tags", put: (e: Event) => (e.detail.tags = { service: "billing", severity: "CRITICAL" }) },
    { where: "a resource object's tags", put: (e: Event) => e.resources.push({ arn: "x", tags: { service: "billing", severity: "critical" } }) },
  ])("reads service and severity tags from $where", ({ put }) => {
    // prepare
    const event = realEvent();
    put(event);

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, OPTS));

    // assess
    expect(report.service).toBe("billing");
    expect(report.severity).toBe("CRITICAL");
  });

  it.each([
    { serviceFrom: ["tag", "dimension", "alarm_name"] as const, service: "billing" },
    { serviceFrom: ["dimension", "tag"] as const, service: "i-12345678901234567" },
    { serviceFrom: ["alarm_name"] as const, service: "ServerCpuTooHigh" },
    { serviceFrom: [] as const, service: "ServerCpuTooHigh" },
  ])("serviceFrom $serviceFrom picks $service", ({ serviceFrom, service }) => {
    // prepare
    const event = realEvent();
    event.detail.configuration.tags = { service: "billing" };

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, { ...OPTS, serviceFrom: [...serviceFrom] }));

    // assess
    expect(report.service).toBe(service);
  });

  it("falls back to the tenant's default severity for unknown severity tags", () => {
    // prepare
    const event = realEvent();
    event.detail.configuration.tags = { severity: "sev-banana" };

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, { ...OPTS, defaultSeverity: "HIGH" }));

    // assess
    expect(report.severity).toBe("HIGH");
  });

  it("handles metric-math alarms: dimensions from every metricStat, the expression kept", () => {
    // prepare
    const event = realEvent();
    event.detail.configuration.metrics = [
      { id: "e1", expression: "100 * errors / invocations", label: "error rate", returnData: true },
      { id: "errors", metricStat: { metric: { namespace: "AWS/Lambda", name: "Errors", dimensions: { FunctionName: "ledger" } }, period: 60, stat: "Sum" }, returnData: false },
      { id: "invocations", metricStat: { metric: { namespace: "AWS/Lambda", name: "Invocations", dimensions: { FunctionName: "ledger", Resource: "ledger" } }, period: 60, stat: "Sum" }, returnData: false },
    ];

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, OPTS));

    // assess
    expect(report.service).toBe("ledger");
    expect(report.metadata).toMatchObject({
      expression: "100 * errors / invocations",
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "ledger", Resource: "ledger" },
    });
  });

  it("handles composite alarms, which have no metrics", () => {
    // prepare
    const event = realEvent();
    event.detail.configuration = { alarmRule: "ALARM(a) OR ALARM(b)", description: "checkout degraded" };
    event.detail.state.reasonData = undefined;

    // act
    const report = onlyAlarm(normalizeCloudWatch(event, OPTS));

    // assess
    expect(report.service).toBe("ServerCpuTooHigh");
    expect(report.metadata).toMatchObject({ alarmRule: "ALARM(a) OR ALARM(b)", dimensions: {} });
  });

  it.each([
    { name: "detail-type", change: (e: Event) => (e["detail-type"] = "CloudWatch Alarm Configuration Change"), field: /^detail-type: expected "CloudWatch Alarm State Change"/ },
    { name: "source", change: (e: Event) => (e.source = "aws.ec2"), field: /^source: / },
    { name: "detail", change: (e: Event) => delete e.detail, field: /^detail: missing, expected object$/ },
    { name: "alarmName", change: (e: Event) => delete e.detail.alarmName, field: /^detail\.alarmName: missing, expected string$/ },
    { name: "state.value", change: (e: Event) => (e.detail.state.value = "PANIC"), field: /^detail\.state\.value: expected one of/ },
    { name: "metrics", change: (e: Event) => (e.detail.configuration.metrics = "cpu"), field: /^detail\.configuration\.metrics: expected array/ },
  ])("rejects a broken $name with a BadRequest naming it", ({ change, field }) => {
    // prepare
    const event = realEvent();
    change(event);

    // act
    const error = badRequestOf(() => normalizeCloudWatch(event, OPTS));

    // assess
    expect(error.status).toBe(400);
    expect(error.message).toMatch(field);
  });

  it.each([null, "ALARM", [], 42])("rejects a non-object body %j", (body) => {
    // act
    const error = badRequestOf(() => normalizeCloudWatch(body, OPTS));

    // assess
    expect(error.message).toMatch(/^body: expected object/);
  });

  it("refuses to resolve an OK it cannot date", () => {
    // prepare
    const event = withState(realEvent(), "OK", { timestamp: "yesterday" });
    delete event.time;

    // act
    const error = badRequestOf(() => normalizeCloudWatch(event, OPTS));

    // assess
    expect(error.message).toMatch(/^time: /);
  });
});
