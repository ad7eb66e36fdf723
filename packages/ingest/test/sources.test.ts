import { describe, expect, it } from "vitest";
import { AlarmReport, SourceResolution } from "@ir/core";
import { NORMALIZERS, detect, severityFromLabel, toIsoTimestamp, type Normalized } from "../src/sources";
import { OPTS, readPayload } from "./fixtures";

const REAL = [
  { file: "cloudwatch-alarm-state-change.json", format: "cloudwatch" },
  { file: "sns-cloudwatch-alarm.json", format: "sns" },
  { file: "sns-cloudwatch-alarm-multiple-metrics.json", format: "sns" },
  { file: "alertmanager-webhook.json", format: "alertmanager" },
] as const;

describe("detect", () => {
  it.each(REAL)("knows $file is $format", ({ file, format }) => {
    // act
    const detected = detect(readPayload(file));

    // assess
    expect(detected).toBe(format);
  });

  it.each([
    { name: "a plain report", body: { error: "boom", service: "api" }, format: "report" },
    { name: "a bare CloudWatch alarm message", body: JSON.parse(readPayload("sns-cloudwatch-alarm.json").Message as string), format: "sns" },
    { name: "an SNS subscription handshake", body: { Type: "SubscriptionConfirmation", TopicArn: "arn", SubscribeURL: "https://x" }, format: "sns" },
    { name: "Grafana alerting", body: { version: "1", orgId: 1, receiver: "r", alerts: [] }, format: "alertmanager" },
    { name: "an unknown object", body: { hello: "world" }, format: null },
    { name: "a report with a non-string error", body: { error: { code: 1 }, service: "api" }, format: null },
    { name: "an array", body: [{ error: "boom", service: "api" }], format: null },
    { name: "a string", body: "boom", format: null },
    { name: "null", body: null, format: null },
  ])("knows $name is $format", ({ body, format }) => {
    // act
    const detected = detect(body);

    // assess
    expect(detected).toBe(format);
  });
});

describe("every real payload normalizes to what the pipeline accepts", () => {
  const conforms = (n: Normalized) => {
    if (n.kind === "alarm") AlarmReport.parse(n.report);
    if (n.kind === "resolved") SourceResolution.parse({ ...n, tenant_id: "t" });
  };

  it.each(REAL)("$file", ({ file, format }) => {
    // prepare
    const normalize = NORMALIZERS[format];

    // act
    const out = normalize(readPayload(file), OPTS);

    // assess
    expect(out.length).toBeGreaterThan(0);
    for (const n of out) expect(() => conforms(n)).not.toThrow();
  });
});

describe("toIsoTimestamp", () => {
  it.each([
    { input: "2019-10-02T17:04:40.985+0000", output: "2019-10-02T17:04:40.985+00:00" },
    { input: "2019-10-02T17:04:40Z", output: "2019-10-02T17:04:40Z" },
    { input: "2021-10-12T09:51:03.157076+02:00", output: "2021-10-12T09:51:03.157076+02:00" },
    { input: "2015-06-03T17:43:27.123-0530", output: "2015-06-03T17:43:27.123-05:30" },
    { input: "2015-06-03 17:43:27", output: "2015-06-03T17:43:27Z" },
    { input: "2015-06-03T17:43Z", output: "2015-06-03T17:43:00Z" },
    { input: "0001-01-01T00:00:00Z", output: undefined },
    { input: "2015-13-45T99:99:99Z", output: undefined },
    // Date.parse takes these; the alarm schema does not (accepted, the alarm was dead-lettered after its 202).
    { input: "2024-02-30T10:00:00Z", output: undefined },
    { input: "2024-02-12T24:00:00Z", output: undefined },
    { input: "2024-02-29T10:00:00Z", output: "2024-02-29T10:00:00Z" },
    { input: "2021-10-12T09:51:03.123456789Z", output: "2021-10-12T09:51:03.123456789Z" },
    { input: "yesterday", output: undefined },
    { input: 1433353407, output: undefined },
    { input: undefined, output: undefined },
  ])("$input → $output", ({ input, output }) => {
    // act
    const iso = toIsoTimestamp(input);

    // assess
    expect(iso).toBe(output);
  });
});

describe("severityFromLabel", () => {
  it.each([
    ["critical", "CRITICAL"],
    ["HIGH", "HIGH"],
    ["error", "HIGH"],
    [" Medium ", "MEDIUM"],
    ["warning", "MEDIUM"],
    ["low", "LOW"],
    ["info", "LOW"],
    ["page", "CRITICAL"],
    ["P1", "CRITICAL"],
    ["SEV-1", "CRITICAL"],
    ["p2", "HIGH"],
    ["sev 3", "MEDIUM"],
    ["ticket", "MEDIUM"],
    ["P4", "LOW"],
    ["none", "LOW"],
    ["P9", "MEDIUM"],
    ["constructor", "MEDIUM"],
    [undefined, "MEDIUM"],
  ] as const)("%s → %s", (label, severity) => {
    // act
    const mapped = severityFromLabel(label, "MEDIUM");

    // assess
    expect(mapped).toBe(severity);
  });
});
