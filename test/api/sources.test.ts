import { until } from "../support/until";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeEvent } from "@ir/core";
import { REPO, startServer, type Client } from "../support/embedded";

const payload = (name: string) => JSON.parse(readFileSync(join(REPO, "..", "shared", "eval", "payloads", name), "utf8"));
const withState = (event: any, value: string, time: string) => ({ ...event, time, detail: { ...event.detail, state: { ...event.detail.state, value, timestamp: time } } });

describe("alarm sources through the embedded server", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  let apiKey: string;
  beforeAll(async () => {
    srv = await startServer();
    const t = await srv.client.tenant("sources", { plan: "enterprise" });
    api = t.client; apiKey = t.api_key;
  });
  afterAll(() => srv.stop());

  const incidentsOf = async (service: string) => (await api.req("GET", `/api/v1/incidents?service=${service}`)).body.incidents as any[];

  it("a CloudWatch ALARM opens an incident and its OK resolves it", async () => {
    const event = payload("cloudwatch-alarm-state-change.json");
    const alarm = await api.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "ALARM", "2026-11-29T10:00:00Z"));
    expect(alarm.status).toBe(202);
    expect(alarm.body.alarms).toHaveLength(1);
    const [incident] = await until(async () => { const l = await incidentsOf("i-12345678901234567"); return l.length ? l : null; });
    expect(incident.error_message).toContain("ServerCpuTooHigh");

    const ok = await api.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "OK", "2026-11-29T10:05:00Z"));
    expect(ok.body).toMatchObject({ status: "queued", resolved: 1 });
    const resolved = await until(async () => { const i = (await api.req("GET", `/api/v1/incidents/${incident.incident_id}`)).body; return i.status === "RESOLVED" ? i : null; });
    expect(resolved.resolved_by).toBe("cloudwatch");
  });

  it("an alarm with a very long ARN opens and resolves like any other, under a bounded source key", async () => {
    // Source keys become DynamoDB sort keys on AWS, which take 1 KB at most.
    const event = { ...payload("cloudwatch-alarm-state-change.json"), resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${"long-name-".repeat(300)}`] };
    const fired = await api.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "ALARM", "2026-11-29T09:00:00Z"));
    const { incident_id } = (await api.req("GET", `/api/v1/alarms/${fired.body.alarms[0]}?wait=10`)).body;
    const [key] = (await api.req("GET", `/api/v1/incidents/${incident_id}`)).body.source_keys as string[];
    expect(key.length).toBeLessThan(256);
    expect(key).toMatch(/^arn:aws:cloudwatch:us-east-1:123456789012:alarm:long-name-.*#sha256:[0-9a-f]{64}$/);
    await api.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "OK", "2026-11-29T09:05:00Z"));
    await until(async () => (await api.req("GET", `/api/v1/incidents/${incident_id}`)).body.status === "RESOLVED" || null);

    // The longest real ARN (an alarm name of 255 characters) is kept as it is: incidents indexed under it still resolve.
    const real = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${"n".repeat(255)}`;
    const again = await api.req("POST", "/api/v1/ingest/cloudwatch", withState({ ...event, resources: [real] }, "ALARM", "2026-11-29T09:30:00Z"));
    const decided = (await api.req("GET", `/api/v1/alarms/${again.body.alarms[0]}?wait=10`)).body;
    expect((await api.req("GET", `/api/v1/incidents/${decided.incident_id}`)).body.source_keys).toContain(real);
    await api.req("POST", "/api/v1/ingest/cloudwatch", withState({ ...event, resources: [real] }, "OK", "2026-11-29T09:35:00Z"));
    await until(async () => (await api.req("GET", `/api/v1/incidents/${decided.incident_id}`)).body.status === "RESOLVED" || null);
  });

  it("a retried delivery of a CloudWatch ALARM after its OK is a duplicate, not a regression", async () => {
    const event = { ...payload("cloudwatch-alarm-state-change.json"), resources: ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:retried"] };
    const fire = withState(event, "ALARM", "2026-11-29T11:00:00Z");
    const first = await api.req("POST", "/api/v1/ingest/cloudwatch", fire);
    const [alarmId] = first.body.alarms;
    const { incident_id } = (await api.req("GET", `/api/v1/alarms/${alarmId}?wait=10`)).body;
    await api.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "OK", "2026-11-29T11:05:00Z"));
    await until(async () => (await api.req("GET", `/api/v1/incidents/${incident_id}`)).body.status === "RESOLVED" || null);

    const retried = await api.req("POST", "/api/v1/ingest/cloudwatch", fire);
    // Answered with the alarm it repeats, as any re-delivery is; accepted again, it would open a regression.
    expect(retried.body.alarms).toEqual([alarmId]);
    await srv.pump.idle();
    expect((await api.req("GET", `/api/v1/incidents/${incident_id}`)).body).toMatchObject({ status: "RESOLVED", occurrences: 1 });
    expect((await incidentsOf("i-12345678901234567")).filter((i) => i.status === "OPEN")).toEqual([]);
  });

  it("an OK delivered after a later ALARM of the same alarm leaves the incident open; the next OK resolves it", async () => {
    const base = payload("cloudwatch-alarm-state-change.json");
    const event = { ...base, resources: ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:QueueDepthHigh"], detail: { ...base.detail, alarmName: "QueueDepthHigh" } };
    const first = await api.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "ALARM", "2026-11-29T12:00:00Z"));
    const { incident_id } = (await api.req("GET", `/api/v1/alarms/${first.body.alarms[0]}?wait=10`)).body;
    // ALARM 12:00, OK 12:05, ALARM 12:07: the 12:05 OK arrives last (its first delivery was throttled).
    const again = await api.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "ALARM", "2026-11-29T12:07:00Z"));
    expect((await api.req("GET", `/api/v1/alarms/${again.body.alarms[0]}?wait=10`)).body).toMatchObject({ status: "existing", incident_id });
    await api.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "OK", "2026-11-29T12:05:00Z"));
    await srv.pump.idle();
    expect((await api.req("GET", `/api/v1/incidents/${incident_id}`)).body).toMatchObject({ status: "OPEN", occurrences: 2 });

    await api.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "OK", "2026-11-29T12:10:00Z"));
    await until(async () => (await api.req("GET", `/api/v1/incidents/${incident_id}`)).body.status === "RESOLVED" || null);
  });

  it("INSUFFICIENT_DATA is recorded, not paged", async () => {
    const before = (await api.req("GET", "/api/v1/incidents?limit=500")).body.incidents.length;
    const r = await api.req("POST", "/api/v1/ingest/cloudwatch", withState(payload("cloudwatch-alarm-state-change.json"), "INSUFFICIENT_DATA", "2026-11-29T11:00:00Z"));
    expect(r.status).toBe(202);
    expect(r.body.alarms).toEqual([]);
    expect(r.body.recorded).toHaveLength(1);
    await srv.pump.idle();
    expect((await api.req("GET", "/api/v1/incidents?limit=500")).body.incidents.length).toBe(before);
  });

  it("an SNS-wrapped CloudWatch alarm opens an incident", async () => {
    const r = await api.req("POST", "/api/v1/ingest/cloudwatch", payload("sns-cloudwatch-alarm.json"));
    expect(r.status).toBe(202);
    const outcome = await api.req("GET", `/api/v1/alarms/${r.body.alarms[0]}?wait=10`);
    expect(outcome.body.status).toMatch(/new|existing/);
  });

  it("with auto_resolve off, OK leaves the incident open", async () => {
    const other = (await srv.client.tenant("manual", { plan: "enterprise" })).client;
    expect((await other.req("PATCH", "/api/v1/settings", { auto_resolve: false })).body.auto_resolve).toBe(false);
    const event = payload("cloudwatch-alarm-state-change.json");
    const a = await other.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "ALARM", "2026-11-29T12:00:00Z"));
    const outcome = await other.req("GET", `/api/v1/alarms/${a.body.alarms[0]}?wait=10`);
    const ok = await other.req("POST", "/api/v1/ingest/cloudwatch", withState(event, "OK", "2026-11-29T12:05:00Z"));
    expect(ok.body.resolved).toBe(0);
    await srv.pump.idle();
    expect((await other.req("GET", `/api/v1/incidents/${outcome.body.incident_id}`)).body.status).toBe("OPEN");
  });

  it("claims AWS accounts (pending until verified: test/api/aws-account-claims.test.ts); refuses malformed ids and settings that are not the tenant's", async () => {
    const claimed = await api.req("PATCH", "/api/v1/settings", { aws_account_ids: ["123456789012"] });
    expect(claimed.status).toBe(200);
    expect(claimed.body.aws_account_claims).toMatchObject([{ account_id: "123456789012", status: "pending" }]);
    const other = (await srv.client.tenant("claimer")).client;
    expect((await other.req("PATCH", "/api/v1/settings", { aws_account_ids: ["12"] })).status).toBe(400);
    expect((await other.req("PATCH", "/api/v1/settings", { webhook_secret: "x" })).status).toBe(400);
  });

  it("ingests SQS direct publish and forwarded CloudWatch events through the ingest stage, dead-lettering bad ones", async () => {
    const now = new Date().toISOString();
    const raw = (id: string, body: unknown, attributes: Record<string, string>) =>
      makeEvent("source.raw", "", `sqs:${id}`, { body: typeof body === "string" ? body : JSON.stringify(body), attributes, received_at: now }, now);
    const forwarded = withState(payload("cloudwatch-alarm-state-change.json"), "ALARM", now);
    // A rival claiming the same account must get none of what the key or the verified account routes to the tenant.
    const rival = (await srv.client.tenant("rival", { plan: "enterprise" })).client;
    expect((await rival.req("PATCH", "/api/v1/settings", { aws_account_ids: ["123456789012"] })).body.aws_account_claims).toMatchObject([{ status: "pending" }]);
    // The account's alarms are the tenant's once an alarm from it carried the claim's code.
    const { verification_alarm_name } = (await api.req("GET", "/api/v1/settings")).body.aws_account_claims[0];
    await srv.ports.bus.publish([raw("m0", { ...forwarded, detail: { ...forwarded.detail, alarmName: verification_alarm_name } }, { "ir-forwarded": "cloudwatch", "ir-aws-account": "123456789012" })]);
    await until(async () => (await api.req("GET", "/api/v1/settings")).body.aws_account_claims[0].status === "verified");
    await srv.ports.bus.publish([
      raw("m1", { error: "Queue consumer crashed: exit 137", service: "sqs-producer" }, { "ir-api-key": apiKey }),
      raw("m2", { error: "x", service: "y" }, { "ir-api-key": "ir_live_wrong" }),
      raw("m3", "{not json", { "ir-api-key": apiKey }),
      raw("m4", { ...forwarded, detail: { ...forwarded.detail, alarmName: "ForwardedAlarm" } }, { "ir-forwarded": "cloudwatch", "ir-aws-account": "123456789012" }),
    ]);
    await until(async () => (await incidentsOf("sqs-producer")).length > 0);
    await until(async () => ((await api.req("GET", "/api/v1/incidents?limit=500")).body.incidents as any[]).some((i) => i.error_message.includes("ForwardedAlarm")));
    expect((await rival.req("GET", "/api/v1/incidents?limit=500")).body.incidents).toEqual([]);
    const dead = await until(async () => {
      const page = await srv.ports.deadLetters.list(null, { limit: 50 });
      return page.items.length >= 2 ? page.items : null;
    });
    const reasons = dead.map((d) => d.reason).join("\n");
    expect(reasons).toMatch(/unauthorized/);
    expect(reasons).toMatch(/not JSON/);
  });
});
