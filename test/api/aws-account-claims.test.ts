import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { join } from "node:path";
import { makeEvent } from "@ir/core";
import { startServer, tempDir, type Client } from "../support/embedded";
import { until } from "../support/until";

/**
 * Forwarded CloudWatch alarms carry no key: the AWS account EventBridge stamps on them names the tenant, once that
 * tenant has proven it owns the account. The forwarded path is the AWS runtime's, but the ingest stage is shared:
 * here the raw messages go straight onto the embedded bus, as the AWS runtime hands them to the stage.
 */
const ACCOUNT = "210987654321";

const alarmEvent = (account: string, alarmName: string, state = "ALARM", description = "throwaway") => {
  const time = new Date().toISOString();
  return {
    version: "0", id: `${alarmName}-${time}`, "detail-type": "CloudWatch Alarm State Change", source: "aws.cloudwatch", account, time, region: "eu-west-1",
    resources: [`arn:aws:cloudwatch:eu-west-1:${account}:alarm:${alarmName}`],
    detail: { alarmName, configuration: { description }, state: { value: state, reason: "Threshold Crossed: 1 datapoint [97.0] was greater than the threshold (90.0)", timestamp: time } },
  };
};

let seq = 0;
type Server = Awaited<ReturnType<typeof startServer>>;
const forward = (srv: Server, event: { account: string }) => {
  const now = new Date().toISOString();
  return srv.ports.bus.publish([makeEvent("source.raw", "", `sqs:claims-${++seq}`, { body: JSON.stringify(event), attributes: { "ir-forwarded": "cloudwatch", "ir-aws-account": event.account }, received_at: now }, now)]);
};
const incidents = async (api: Client) => (await api.req("GET", "/api/v1/incidents?limit=500")).body.incidents as Array<{ error_message: string; tenant_id: string }>;
const claimOf = async (api: Client, account = ACCOUNT) => ((await api.req("GET", "/api/v1/settings")).body.aws_account_claims as any[]).find((c) => c.account_id === account);

describe("AWS account claims: pending until a forwarded alarm from the account proves ownership", () => {
  let srv: Server;
  let victim: Client;
  let victimId: string;
  let attacker: Client;
  let attackerId: string;
  let victimCode: string;
  beforeAll(async () => {
    srv = await startServer();
    const v = await srv.client.tenant("victim", { plan: "enterprise" });
    victim = v.client; victimId = v.tenant_id;
    const a = await srv.client.tenant("attacker", { plan: "enterprise" });
    attacker = a.client; attackerId = a.tenant_id;
  });
  afterAll(() => srv.stop());

  it("a claim starts pending with a verification code; asking again keeps the code; another tenant may claim the same account", async () => {
    // The attacker is first: that no longer makes the account its own.
    const pre = await attacker.req("PATCH", "/api/v1/settings", { aws_account_ids: [ACCOUNT] });
    expect(pre.status).toBe(200);
    expect(pre.body.aws_account_claims).toEqual([expect.objectContaining({ account_id: ACCOUNT, status: "pending" })]);

    const r = await victim.req("PATCH", "/api/v1/settings", { aws_account_ids: [ACCOUNT] });
    expect(r.status).toBe(200);
    expect(r.body.aws_account_ids).toEqual([ACCOUNT]);
    const [claim] = r.body.aws_account_claims;
    expect(claim).toMatchObject({ account_id: ACCOUNT, status: "pending", verification_code: expect.stringMatching(/^[0-9a-f]{24}$/), verified_at: null });
    expect(claim.verification_alarm_name).toBe(`ir-verify-${claim.verification_code}`);
    expect(claim.verification_code).not.toBe(pre.body.aws_account_claims[0].verification_code);
    victimCode = claim.verification_code;

    expect(await claimOf(victim)).toEqual(claim);
    const again = await victim.req("PATCH", "/api/v1/settings", { aws_account_ids: [ACCOUNT], auto_resolve: true });
    expect(again.body.aws_account_claims[0].verification_code).toBe(victimCode);
  });

  it("until verified, the account's forwarded alarms go to no claimant: dead-lettered for the operator with the reason", async () => {
    await forward(srv, alarmEvent(ACCOUNT, "CheckoutLatencyHigh"));
    const letter = await until(async () => (await srv.ports.deadLetters.list(null, { limit: 100 })).items.find((d) => d.body.includes("CheckoutLatencyHigh")));
    expect(letter.reason).toMatch(new RegExp(`AWS account ${ACCOUNT} not verified`));
    // Nobody's: listed to the operator only, never to a tenant that merely claims the account.
    expect([victimId, attackerId]).not.toContain(letter.tenant_id);
    await srv.pump.idle();
    expect(await incidents(victim)).toEqual([]);
    expect(await incidents(attacker)).toEqual([]);
    expect((await attacker.req("GET", "/api/v1/dlq")).body.dead_letters).toEqual([]);
  });

  it("an alarm from the account carrying the code verifies the claim, opens no incident, and drops the other pending claims", async () => {
    await forward(srv, alarmEvent(ACCOUNT, `ir-verify-${victimCode}`));
    const verified = await until(async () => { const c = await claimOf(victim); return c?.status === "verified" ? c : null; });
    expect(verified).toMatchObject({ verification_code: null, verified_at: expect.any(String) });
    // The same alarm going back to OK later is recognised too: still no incident, no dead letter.
    await forward(srv, alarmEvent(ACCOUNT, `ir-verify-${victimCode}`, "OK"));
    await srv.pump.idle();
    expect(await incidents(victim)).toEqual([]);
    expect((await srv.ports.deadLetters.list(null, { limit: 100 })).items.filter((d) => d.body.includes("ir-verify-"))).toEqual([]);
    const audit = (await victim.req("GET", "/api/v1/audit")).body.events as Array<{ action: string; target: string }>;
    expect(audit).toContainEqual(expect.objectContaining({ action: "aws_account.verified", target: ACCOUNT }));

    const lost = (await attacker.req("GET", "/api/v1/settings")).body;
    expect(lost.aws_account_ids).toEqual([]);
    expect(lost.aws_account_claims).toEqual([]);
  });

  it("once verified, another tenant's claim answers 409, and the account's alarms are the owner's (a dead-lettered one replays to it)", async () => {
    const r = await attacker.req("PATCH", "/api/v1/settings", { aws_account_ids: [ACCOUNT] });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain(ACCOUNT);
    const third = (await srv.client.tenant("third")).client;
    expect((await third.req("PATCH", "/api/v1/settings", { aws_account_ids: [ACCOUNT] })).status).toBe(409);

    await forward(srv, alarmEvent(ACCOUNT, "PaymentsErrorRate"));
    await until(async () => (await incidents(victim)).some((i) => i.error_message.includes("PaymentsErrorRate")));
    const letter = (await srv.ports.deadLetters.list(null, { limit: 100 })).items.find((d) => d.body.includes("CheckoutLatencyHigh"))!;
    expect(await srv.ports.deadLetters.replay(null, letter.id)).toBe(true);
    await until(async () => (await incidents(victim)).some((i) => i.error_message.includes("CheckoutLatencyHigh")));
    // Neither tenant whose claim was refused got either alarm, first delivery or replay.
    expect(await incidents(attacker)).toEqual([]);
    expect(await incidents(third)).toEqual([]);
  });

  it("a verification code no claim on the account holds is refused, not turned into an incident", async () => {
    await forward(srv, alarmEvent(ACCOUNT, "ir-verify-0123456789abcdef01234567"));
    const letter = await until(async () => (await srv.ports.deadLetters.list(null, { limit: 100 })).items.find((d) => d.body.includes("ir-verify-0123456789abcdef01234567")));
    expect(letter.reason).toMatch(/matches no claim/);
  });

  it("only an alarm named exactly ir-verify-<code> verifies; releasing the account frees it", async () => {
    const other = "310987654321";
    const r = await attacker.req("PATCH", "/api/v1/settings", { aws_account_ids: [other] });
    const code = r.body.aws_account_claims[0].verification_code;
    // Anyone allowed to name a resource (here a table, in an auto-scaling alarm's name and description) could plant the code.
    await forward(srv, alarmEvent(other, `TargetTracking-table/ir-verify-${code}-AlarmHigh-1a2b`, "ALARM", `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy table/ir-verify-${code}.`));
    await srv.pump.idle();
    expect((await claimOf(attacker, other))?.status).toBe("pending");
    await forward(srv, alarmEvent(other, r.body.aws_account_claims[0].verification_alarm_name));
    await until(async () => (await claimOf(attacker, other))?.status === "verified");
    expect((await victim.req("PATCH", "/api/v1/settings", { aws_account_ids: [ACCOUNT, other] })).status).toBe(409);
    expect((await attacker.req("PATCH", "/api/v1/settings", { aws_account_ids: [] })).body.aws_account_ids).toEqual([]);
    const now = await victim.req("PATCH", "/api/v1/settings", { aws_account_ids: [ACCOUNT, other] });
    expect(now.status).toBe(200);
    expect(now.body.aws_account_claims.map((c: any) => [c.account_id, c.status])).toEqual([[ACCOUNT, "verified"], [other, "pending"]]);
  });

  it("erasing a tenant drops its pending claims", async () => {
    const gone = await srv.client.tenant("gone");
    expect((await gone.client.req("PATCH", "/api/v1/settings", { aws_account_ids: ["410987654321"] })).status).toBe(200);
    expect(await srv.ports.tenants.pendingAwsAccountClaims("410987654321")).toHaveLength(1);
    expect((await gone.client.req("DELETE", "/api/v1/tenant")).status).toBe(200);
    expect(await srv.ports.tenants.pendingAwsAccountClaims("410987654321")).toEqual([]);
  });
});

describe("AWS accounts registered before claims existed", () => {
  it("stay verified after the upgrade: their alarms keep arriving and nobody else can claim them", async () => {
    const dir = tempDir("claims-upgrade");
    const before = await startServer(dir);
    const t = await before.client.tenant("legacy", { plan: "enterprise" });
    await before.close();
    // The data dir as the previous version left it: the account in the tenant document and the lookup, no claims.
    const db = new Database(join(dir, "ir.db"));
    db.prepare("UPDATE tenants SET doc = json_set(doc, '$.settings.aws_account_ids', json(?)) WHERE tenant_id = ?").run(JSON.stringify([ACCOUNT]), t.tenant_id);
    db.prepare("INSERT INTO tenant_accounts (account_id, tenant_id) VALUES (?, ?)").run(ACCOUNT, t.tenant_id);
    db.exec("DROP TABLE IF EXISTS aws_account_claims");
    db.close();

    const srv = await startServer(dir);
    try {
      const legacy = srv.client.as(t.api_key);
      expect((await legacy.req("GET", "/api/v1/settings")).body).toMatchObject({
        aws_account_ids: [ACCOUNT],
        aws_account_claims: [{ account_id: ACCOUNT, status: "verified", verification_code: null, verification_alarm_name: null, claimed_at: null, verified_at: null }],
      });
      await forward(srv, alarmEvent(ACCOUNT, "LegacyQueueDepth"));
      await until(async () => (await incidents(legacy)).some((i) => i.error_message.includes("LegacyQueueDepth")));
      const other = (await srv.client.tenant("newcomer")).client;
      expect((await other.req("PATCH", "/api/v1/settings", { aws_account_ids: [ACCOUNT] })).status).toBe(409);
      // A settings write keeps it verified (the claim is written out, still without a code).
      const kept = await legacy.req("PATCH", "/api/v1/settings", { aws_account_ids: [ACCOUNT, "510987654321"] });
      expect(kept.body.aws_account_claims.map((c: any) => c.status)).toEqual(["verified", "pending"]);
    } finally {
      await srv.stop();
    }
  });
});
