import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pk, sk } from "../src/table";
import { httpEvent } from "./support/api-gateway";
import { ADMIN_KEY, useAwsEnvironment } from "./support/environment";
import { lambdaContext, type SqsHandler } from "./support/event-source";

/**
 * AWS account claims on the emulators, through the real HTTP and ingest Lambda handlers: customers' CloudWatch
 * alarms reach ingest on the forwarded-alarms queue, where EventBridge's `account` is all that names the tenant.
 */
const aws = useAwsEnvironment();
const ACCOUNT = "620987654321";
const FORWARDED_QUEUE = "ir-claims-ingest-forwarded";

let http: (typeof import("../src/handlers/http"))["handler"];
let ingest: SqsHandler;

beforeAll(async () => {
  // The ingest function tells forwarded alarms by their queue, as deployed (IR_INGEST_FORWARDED_QUEUE_URL).
  process.env.IR_INGEST_FORWARDED_QUEUE_URL = (await aws.env.sqs.send(new CreateQueueCommand({ QueueName: FORWARDED_QUEUE }))).QueueUrl!;
  http = (await import("../src/handlers/http")).handler;
  ingest = (await import("../src/handlers/ingest")).handler as SqsHandler;
});
afterAll(() => { delete process.env.IR_INGEST_FORWARDED_QUEUE_URL; });

const call = async (method: string, path: string, opts: { body?: unknown; key?: string } = {}) => {
  const headers: Record<string, string> = opts.key ? { "x-api-key": opts.key } : { "x-admin-key": ADMIN_KEY };
  const res = await http(httpEvent(method, path, { body: opts.body, headers }), lambdaContext(30_000) as never);
  return { status: res.statusCode!, body: res.body ? JSON.parse(res.body) : undefined };
};
const newTenant = async (name: string) => (await call("POST", "/api/v1/admin/tenants", { body: { name, plan: "enterprise" } })).body as { tenant_id: string; api_key: string };

let seq = 0;
/** A customer's CloudWatch state change as our EventBridge rule puts it on the forwarded-alarms queue. */
const forwarded = (alarmName: string, state = "ALARM"): SQSRecord => {
  const time = new Date().toISOString();
  const body = {
    version: "0", id: `evt-${++seq}`, "detail-type": "CloudWatch Alarm State Change", source: "aws.cloudwatch", account: ACCOUNT, time, region: "eu-west-1",
    resources: [`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:${alarmName}`],
    detail: { alarmName, configuration: { description: "forwarded" }, state: { value: state, reason: "Threshold Crossed", timestamp: time } },
  };
  return {
    messageId: `fwd-claims-${seq}`, receiptHandle: `rh-${seq}`, body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()), SenderId: "0", ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${FORWARDED_QUEUE}`, awsRegion: "us-east-1",
  };
};
const runIngest = async (record: SQSRecord) => expect((await ingest({ Records: [record] }, lambdaContext(30_000))).batchItemFailures).toEqual([]);
/** Alarms ingest accepted for the tenant: each goes to the pipeline as `alarm.received` on the bus. */
const receivedFor = (tenantId: string) =>
  aws.env.eventBridge.received.filter((e) => e.DetailType === "alarm.received" && JSON.parse(e.Detail).tenant_id === tenantId).map((e) => JSON.parse(e.Detail).data as { error: string });

describe("AWS account claims on DynamoDB, verified by a forwarded CloudWatch alarm", () => {
  let victim: { tenant_id: string; api_key: string };
  let attacker: { tenant_id: string; api_key: string };
  let code: string;

  beforeAll(async () => {
    attacker = await newTenant("attacker");
    victim = await newTenant("victim");
  });

  it("a claim starts pending with a code, and a second tenant may claim the same account while nobody has verified it", async () => {
    const first = await call("PATCH", "/api/v1/settings", { key: attacker.api_key, body: { aws_account_ids: [ACCOUNT] } });
    expect(first.status).toBe(200);
    const r = await call("PATCH", "/api/v1/settings", { key: victim.api_key, body: { aws_account_ids: [ACCOUNT] } });
    expect(r.status).toBe(200);
    expect(r.body.aws_account_claims).toEqual([expect.objectContaining({ account_id: ACCOUNT, status: "pending", verification_code: expect.stringMatching(/^[0-9a-f]{24}$/) })]);
    code = r.body.aws_account_claims[0].verification_code;
    expect(code).not.toBe(first.body.aws_account_claims[0].verification_code);
    expect((await call("GET", "/api/v1/settings", { key: victim.api_key })).body.aws_account_claims[0].verification_code).toBe(code);
    expect(await aws.ports.tenants.findByAwsAccount(ACCOUNT)).toBeNull();
    expect((await aws.ports.tenants.pendingAwsAccountClaims(ACCOUNT)).map((c) => c.tenant_id).sort()).toEqual([attacker.tenant_id, victim.tenant_id].sort());
  });

  it("an alarm forwarded from the unverified account is attributed to no claimant: dead-lettered with 'not verified'", async () => {
    await runIngest(forwarded("OrdersQueueBacklog"));
    expect(receivedFor(victim.tenant_id)).toEqual([]);
    expect(receivedFor(attacker.tenant_id)).toEqual([]);
    const letter = (await aws.ports.deadLetters.list(null, { limit: 100 })).items.find((d) => d.body.includes("OrdersQueueBacklog"));
    expect(letter).toMatchObject({ stage: "ingest", tenant_id: "unknown", reason: expect.stringContaining(`AWS account ${ACCOUNT} not verified`) });
    expect((await aws.ports.deadLetters.list(attacker.tenant_id, { limit: 100 })).items).toEqual([]);
  });

  it("the verification alarm verifies the claim, opens no incident, and drops the other tenant's pending claim", async () => {
    const deadBefore = (await aws.ports.deadLetters.list(null, { limit: 100 })).items.length;
    await runIngest(forwarded(`ir-verify-${code}`));
    expect(receivedFor(victim.tenant_id)).toEqual([]);
    expect((await aws.ports.deadLetters.list(null, { limit: 100 })).items).toHaveLength(deadBefore);

    const settings = (await call("GET", "/api/v1/settings", { key: victim.api_key })).body;
    expect(settings.aws_account_claims).toEqual([expect.objectContaining({ account_id: ACCOUNT, status: "verified", verification_code: null, verified_at: expect.any(String) })]);
    expect((await aws.ports.tenants.findByAwsAccount(ACCOUNT))?.tenant_id).toBe(victim.tenant_id);
    expect((await call("GET", "/api/v1/settings", { key: attacker.api_key })).body).toMatchObject({ aws_account_ids: [], aws_account_claims: [] });
    expect(await aws.ports.tenants.pendingAwsAccountClaims(ACCOUNT)).toEqual([]);
    const audit = (await call("GET", "/api/v1/audit", { key: victim.api_key })).body.events as Array<{ action: string; target: string }>;
    expect(audit).toContainEqual(expect.objectContaining({ action: "aws_account.verified", target: ACCOUNT }));

    // The throwaway alarm returning to OK, and the same event redelivered, change nothing and page nobody.
    await runIngest(forwarded(`ir-verify-${code}`, "OK"));
    await runIngest(forwarded(`ir-verify-${code}`));
    expect(receivedFor(victim.tenant_id)).toEqual([]);
    expect((await aws.ports.deadLetters.list(null, { limit: 100 })).items).toHaveLength(deadBefore);
  });

  it("then another tenant's claim answers 409, and the account's alarms are the owner's", async () => {
    const r = await call("PATCH", "/api/v1/settings", { key: attacker.api_key, body: { aws_account_ids: [ACCOUNT] } });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain(ACCOUNT);
    await runIngest(forwarded("PaymentsLatencyHigh"));
    expect(receivedFor(victim.tenant_id).map((a) => a.error)).toEqual([expect.stringContaining("PaymentsLatencyHigh")]);
    expect(receivedFor(attacker.tenant_id)).toEqual([]);
  });

  it("the first of two verifications wins; erasing a tenant never frees an account it does not own", async () => {
    const account = "720987654321";
    const a = await newTenant("first"), b = await newTenant("second");
    for (const t of [a, b]) expect((await call("PATCH", "/api/v1/settings", { key: t.api_key, body: { aws_account_ids: [account] } })).status).toBe(200);
    const at = new Date().toISOString();
    expect(await aws.ports.tenants.verifyAwsAccount(account, a.tenant_id, at)).toBe("verified");
    expect(await aws.ports.tenants.verifyAwsAccount(account, b.tenant_id, at)).toBe("refused");
    expect(await aws.ports.tenants.verifyAwsAccount(account, a.tenant_id, at)).toBe("already");
    // A claim item left behind (a claim racing the verification) must not let b's erase remove a's lookup.
    await aws.ports.table.put({ pk: pk.awsAccount(account), sk: sk.awsAccountClaim(b.tenant_id), tenant_id: b.tenant_id, verification_code: "stale" });
    const bDoc = (await aws.ports.tenants.get(b.tenant_id))!;
    await aws.ports.table.put({ pk: pk.tenant(b.tenant_id), sk: sk.tenant, doc: JSON.stringify({ ...bDoc, settings: { ...bDoc.settings, aws_account_ids: [account], aws_account_claims: [{ account_id: account, status: "pending", verification_code: "stale", claimed_at: at, verified_at: null }] } }) });
    expect((await call("DELETE", "/api/v1/tenant", { key: b.api_key })).status).toBe(200);
    expect((await aws.ports.tenants.findByAwsAccount(account))?.tenant_id).toBe(a.tenant_id);
    expect(await aws.ports.tenants.pendingAwsAccountClaims(account)).toEqual([]);
  });
});

describe("AWS: settings writes racing an erase or a release", () => {
  it("a settings change whose tenant was erased meanwhile answers 401 and brings back neither the tenant nor its accounts", async () => {
    const X = "830987654321", Y = "830987654322";
    const t = await newTenant("leaver");
    expect((await call("PATCH", "/api/v1/settings", { key: t.api_key, body: { aws_account_ids: [X] } })).status).toBe(200);
    expect(await aws.ports.tenants.verifyAwsAccount(X, t.tenant_id, new Date().toISOString())).toBe("verified");
    // The erase (another Lambda) completes while the PATCH is past authentication, before its write.
    const { containerPorts } = await import("../src/container");
    const ports = containerPorts();
    const find = ports.tenants.findByAwsAccount.bind(ports.tenants);
    let erased = false;
    ports.tenants.findByAwsAccount = async (a: string) => {
      if (!erased) { erased = true; await ports.eraser.erase(t.tenant_id); }
      return find(a);
    };
    try {
      expect((await call("PATCH", "/api/v1/settings", { key: t.api_key, body: { aws_account_ids: [X, Y] } })).status).toBe(401);
    } finally {
      ports.tenants.findByAwsAccount = find;
    }
    expect(await aws.ports.tenants.get(t.tenant_id)).toBeNull();
    expect(await aws.ports.tenants.findByAwsAccount(X)).toBeNull();
    expect(await aws.ports.tenants.pendingAwsAccountClaims(Y)).toEqual([]);
  });

  it("a settings write prepared before the account was released does not take it back", async () => {
    const X = "830987654329";
    const t = await newTenant("releaser");
    expect((await call("PATCH", "/api/v1/settings", { key: t.api_key, body: { aws_account_ids: [X] } })).status).toBe(200);
    expect(await aws.ports.tenants.verifyAwsAccount(X, t.tenant_id, new Date().toISOString())).toBe("verified");
    const read = (await aws.ports.tenants.get(t.tenant_id))!;
    expect((await call("PATCH", "/api/v1/settings", { key: t.api_key, body: { aws_account_ids: [] } })).status).toBe(200);
    // The slower request's write, as the settings route makes it from what it read.
    await aws.ports.tenants.update({ ...read, settings: { ...read.settings, auto_resolve: false } });
    expect(await aws.ports.tenants.findByAwsAccount(X)).toBeNull();
    expect((await aws.ports.tenants.get(t.tenant_id))!.settings).toMatchObject({ auto_resolve: false, aws_account_ids: [] });
  });
});
