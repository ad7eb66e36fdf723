import { describe, expect, it } from "vitest";
import { normalizeCloudWatch, normalizeSns, type Normalized } from "../src/sources";
import { OPTS, badRequestOf, readPayload } from "./fixtures";

type Body = Record<string, any>;

const onlyAlarm = (out: Normalized[]) => {
  expect(out).toHaveLength(1);
  const [first] = out;
  if (first.kind !== "alarm") throw new Error(`expected an alarm, got ${first.kind}`);
  return first.report;
};

/** The real notification with its inner alarm message edited. */
const notification = (edit: (message: Body) => void = () => {}, file = "sns-cloudwatch-alarm.json"): Body => {
  const body = readPayload(file) as Body;
  const message = JSON.parse(body.Message);
  edit(message);
  body.Message = JSON.stringify(message);
  return body;
};

const TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms";
const confirmation = (subscribeUrl: string, topicArn = TOPIC): Body => ({
  Type: "SubscriptionConfirmation",
  MessageId: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
  Token: "2336412f37",
  TopicArn: topicArn,
  Message: "You have chosen to subscribe to the topic ...",
  SubscribeURL: subscribeUrl,
  Timestamp: "2024-06-01T10:00:00.000Z",
  SignatureVersion: "1",
  Signature: "EXAMPLE",
  SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
});
const GOOD_URL = `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f37`;

describe("normalizeSns: notifications", () => {
  it("maps the real single-metric notification", () => {
    // act
    const report = onlyAlarm(normalizeSns(readPayload("sns-cloudwatch-alarm.json"), OPTS));

    // assess
    expect(report).toMatchObject({
      service: "TestInstance",
      severity: "MEDIUM",
      occurred_at: "2015-06-03T17:43:27.123+00:00",
      source: "sns",
      source_key: "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE",
    });
    // The sample repeats the name as description; it is said once.
    expect(report.error).toBe(
      "EXAMPLE — Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
    );
    expect(report.metadata).toMatchObject({
      namespace: "AWS/EC2",
      metricName: "NetworkOut",
      dimensions: { InstanceId: "TestInstance" },
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      statistic: "AVERAGE",
      unit: "Bytes",
      previousState: "INSUFFICIENT_DATA",
      topicArn: "arn:aws:sns:us-west-2:123456789012:MyTopic",
    });
  });

  it("maps the real metric-math notification", () => {
    // act
    const report = onlyAlarm(normalizeSns(readPayload("sns-cloudwatch-alarm-multiple-metrics.json"), OPTS));

    // assess
    expect(report.service).toBe("TestInstance");
    expect(report.metadata).toMatchObject({
      expression: "m1*1",
      namespace: "AWS/EC2",
      metricName: "NetworkOut",
      dimensions: { InstanceId: "TestInstance" },
    });
  });

  it.each([
    { state: "OK", autoResolve: true, kind: "resolved" },
    { state: "OK", autoResolve: false, kind: "recorded" },
    { state: "INSUFFICIENT_DATA", autoResolve: true, kind: "recorded" },
  ])("NewStateValue $state with autoResolve=$autoResolve is $kind", ({ state, autoResolve, kind }) => {
    // prepare
    const body = notification((m) => (m.NewStateValue = state));

    // act
    const [out] = normalizeSns(body, { ...OPTS, autoResolve });

    // assess
    expect(out.kind).toBe(kind);
  });

  it("resolves by the alarm ARN the ALARM opened with", () => {
    // prepare
    const opened = onlyAlarm(normalizeSns(notification(), OPTS));

    // act
    const [resolved] = normalizeSns(notification((m) => (m.NewStateValue = "OK")), OPTS);

    // assess
    expect(resolved).toMatchObject({ kind: "resolved", source: "sns", source_key: opened.source_key, resolved_by: "cloudwatch", occurred_at: "2015-06-03T17:43:27.123+00:00" });
  });

  it("builds the ARN from the topic's region and account when AlarmArn is missing (Region is a display name)", () => {
    // prepare
    const body = notification((m) => {
      delete m.AlarmArn;
      m.Region = "US West (Oregon)";
    });

    // act
    const report = onlyAlarm(normalizeSns(body, OPTS));

    // assess
    expect(report.source_key).toBe("arn:aws:cloudwatch:us-west-2:123456789012:alarm:EXAMPLE");
  });

  it("accepts the nulls AWS writes for unset fields", () => {
    // prepare
    const body = notification((m) => {
      m.AlarmDescription = null;
      m.Trigger.Unit = null;
    });

    // act
    const report = onlyAlarm(normalizeSns(body, OPTS));

    // assess
    expect(report.error.startsWith("EXAMPLE — Threshold Crossed")).toBe(true);
    expect(report.metadata).not.toHaveProperty("unit");
  });

  it("accepts the bare alarm message (SQS raw delivery)", () => {
    // prepare
    const bare = JSON.parse(readPayload("sns-cloudwatch-alarm.json").Message as string);

    // act
    const report = onlyAlarm(normalizeSns(bare, OPTS));

    // assess
    expect(report).toMatchObject({ service: "TestInstance", source: "sns", source_key: "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE" });
  });

  it("delegates a raw EventBridge event to the CloudWatch normalizer", () => {
    // prepare
    const event = readPayload("cloudwatch-alarm-state-change.json");

    // act
    const out = normalizeSns(event, OPTS);

    // assess
    expect(out).toEqual(normalizeCloudWatch(event, OPTS));
  });

  it("unwraps an EventBridge event published to the topic", () => {
    // prepare
    const body = { ...readPayload("sns-cloudwatch-alarm.json"), Message: JSON.stringify(readPayload("cloudwatch-alarm-state-change.json")) };

    // act
    const report = onlyAlarm(normalizeSns(body, OPTS));

    // assess
    expect(report).toMatchObject({ source: "sns", service: "i-12345678901234567", source_key: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh" });
  });

  it.each([
    { name: "Message missing", body: () => { const b = readPayload("sns-cloudwatch-alarm.json"); delete b.Message; return b; }, field: /^Message: missing, expected string$/ },
    { name: "Message not JSON", body: () => ({ ...readPayload("sns-cloudwatch-alarm.json"), Message: "CPU high!" }), field: /^Message: expected JSON/ },
    { name: "Message not an alarm", body: () => ({ ...readPayload("sns-cloudwatch-alarm.json"), Message: "{\"hello\":1}" }), field: /^Message: expected a CloudWatch alarm/ },
    { name: "NewStateValue unknown", body: () => notification((m) => (m.NewStateValue = "PANIC")), field: /^Message\.NewStateValue: expected one of/ },
    { name: "AlarmName empty", body: () => notification((m) => (m.AlarmName = " ")), field: /^Message\.AlarmName: / },
    { name: "Trigger.Metrics not a list", body: () => notification((m) => (m.Trigger.Metrics = {})), field: /^Message\.Trigger\.Metrics: expected array/ },
    { name: "Type unknown", body: () => ({ ...readPayload("sns-cloudwatch-alarm.json"), Type: "Gossip" }), field: /^Type: expected one of/ },
    { name: "nothing SNS about it", body: () => ({ hello: "world" }), field: /^Type: / },
    { name: "not an object", body: () => "Notification", field: /^body: expected an SNS message object$/ },
  ])("rejects $name with a BadRequest naming the field", ({ body, field }) => {
    // act
    const error = badRequestOf(() => normalizeSns(body(), OPTS));

    // assess
    expect(error.status).toBe(400);
    expect(error.message).toMatch(field);
  });

  it("records an UnsubscribeConfirmation", () => {
    // prepare
    const body = { ...confirmation(GOOD_URL), Type: "UnsubscribeConfirmation" };

    // act
    const out = normalizeSns(body, OPTS);

    // assess
    expect(out).toEqual([{ kind: "recorded", reason: expect.stringContaining(TOPIC) }]);
  });
});

describe("normalizeSns: SubscriptionConfirmation", () => {
  it.each([
    { name: "commercial region", url: GOOD_URL, topic: TOPIC },
    { name: "China region", url: "https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription&TopicArn=arn:aws-cn:sns:cn-north-1:123456789012:t&Token=abc", topic: "arn:aws-cn:sns:cn-north-1:123456789012:t" },
    { name: "GovCloud", url: "https://sns.us-gov-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc", topic: "arn:aws-us-gov:sns:us-gov-west-1:123456789012:t" },
  ])("passes SNS's own confirm URL ($name) back without visiting it", ({ url, topic }) => {
    // act
    const out = normalizeSns(confirmation(url, topic), OPTS);

    // assess
    expect(out).toEqual([{ kind: "subscription", subscribe_url: new URL(url).href, topic_arn: topic }]);
  });

  it.each([
    { attack: "plain http", url: GOOD_URL.replace("https:", "http:") },
    { attack: "lookalike suffix", url: GOOD_URL.replace("amazonaws.com/", "amazonaws.com.evil.com/") },
    { attack: "SNS host in the query", url: "https://evil.com/?x=sns.us-east-1.amazonaws.com&Action=ConfirmSubscription&Token=abc" },
    { attack: "SNS host as userinfo", url: "https://sns.us-east-1.amazonaws.com@evil.com/?Action=ConfirmSubscription&Token=abc" },
    { attack: "credentials on the real host", url: GOOD_URL.replace("https://", "https://user:pw@") },
    { attack: "backslash path trick", url: "https://sns.us-east-1.amazonaws.com\\@evil.com/?Action=ConfirmSubscription&Token=abc" },
    { attack: "wrong Action", url: GOOD_URL.replace("ConfirmSubscription", "Publish") },
    { attack: "Action twice", url: `${GOOD_URL}&Action=Publish` },
    { attack: "no Action", url: `https://sns.us-east-1.amazonaws.com/?TopicArn=${TOPIC}&Token=abc` },
    { attack: "another path", url: GOOD_URL.replace(".com/?", ".com/admin?") },
    { attack: "explicit port", url: GOOD_URL.replace(".com/", ".com:8443/") },
    { attack: "not a region", url: GOOD_URL.replace("us-east-1", "evil"), topic: "arn:aws:sns:evil:123456789012:alarms", why: "host must be" },
    { attack: "extra subdomain", url: GOOD_URL.replace("sns.us-east-1", "sns.x.us-east-1") },
    { attack: "trailing dot", url: GOOD_URL.replace("amazonaws.com/", "amazonaws.com./") },
    { attack: "China region on the .com domain", url: GOOD_URL.replace("us-east-1", "cn-north-1"), topic: "arn:aws-cn:sns:cn-north-1:123456789012:alarms", why: "host does not match" },
    { attack: "other region on the .com.cn domain", url: GOOD_URL.replace("amazonaws.com/", "amazonaws.com.cn/"), why: "host does not match" },
    { attack: "region other than the topic's", url: GOOD_URL.replace("sns.us-east-1", "sns.eu-west-1"), why: "region does not match" },
    { attack: "TopicArn other than the message's", url: GOOD_URL.replace("alarms", "other") },
    { attack: "missing Token", url: GOOD_URL.replace("&Token=2336412f37", "") },
    { attack: "not a URL", url: "sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription" },
    { attack: "javascript scheme", url: "javascript:alert(1)//sns.us-east-1.amazonaws.com/" },
  ])("rejects $attack", ({ url, topic, why }: { url: string; topic?: string; why?: string }) => {
    // act
    const error = badRequestOf(() => normalizeSns(confirmation(url, topic), OPTS));

    // assess: where a later check would catch it too, the reason shows which one did
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^SubscribeURL: /);
    if (why) expect(error.message).toContain(why);
  });

  it.each([
    { name: "SubscribeURL", change: (b: Body) => delete b.SubscribeURL, field: /^SubscribeURL: missing/ },
    { name: "TopicArn", change: (b: Body) => delete b.TopicArn, field: /^TopicArn: missing/ },
    { name: "TopicArn shape", change: (b: Body) => (b.TopicArn = "arn:aws:s3:::bucket"), field: /^TopicArn: expected an SNS topic ARN/ },
  ])("rejects a confirmation without a usable $name", ({ change, field }) => {
    // prepare
    const body = confirmation(GOOD_URL);
    change(body);

    // act
    const error = badRequestOf(() => normalizeSns(body, OPTS));

    // assess
    expect(error.message).toMatch(field);
  });
});
