import { Poison, verificationCodeOf, awsAccountClaimsOf, type Ports, type Tenant } from "@ir/core";

/** The alarm name of a CloudWatch state-change event: a verification alarm is named `ir-verify-<code>`. */
const alarmNameOf = (body: object): string | undefined => {
  const name = (body as { detail?: { alarmName?: unknown } }).detail?.alarmName;
  return typeof name === "string" ? name : undefined;
};

/**
 * Who a CloudWatch event forwarded from a customer's account belongs to. It carries no key: EventBridge
 * stamped the account it came from, and the tenant whose claim on that account is verified owns it (see
 * aws-account-claims.ts in @ir/core). An event carrying a claim's `ir-verify-<code>` is that proof itself: it
 * verifies the claim and is no alarm, so the answer is null. Alarms from an account nobody has verified are
 * dead-lettered for the operator, never shown to a tenant that only claims the account.
 */
export async function forwardedTenant(ports: Ports, account: string, body: object): Promise<Tenant | null> {
  const owner = await ports.tenants.findByAwsAccount(account);
  const alarmName = alarmNameOf(body);
  const code = verificationCodeOf(alarmName);
  if (code) {
    // The owner's own code too: its verification alarm goes on changing state (back to OK) after it verified.
    const ownerCode = owner && awsAccountClaimsOf(owner.settings).find((c) => c.account_id === account)?.verification_code;
    const claims = [...(await ports.tenants.pendingAwsAccountClaims(account)), ...(owner && ownerCode ? [{ tenant_id: owner.tenant_id, verification_code: ownerCode }] : [])];
    const claim = claims.find((c) => c.verification_code === code);
    if (!claim) throw new Poison(`CloudWatch alarm ${alarmName} carries a verification code that matches no claim on AWS account ${account}`, owner?.tenant_id);
    const at = ports.clock.now().toISOString();
    const result = await ports.tenants.verifyAwsAccount(account, claim.tenant_id, at);
    if (result === "refused") throw new Poison(`AWS account ${account} not verified for this claim: another tenant verified it first, or the claim was withdrawn`);
    if (result === "verified") {
      await ports.audit.append({ event_id: ports.newId("aud"), tenant_id: claim.tenant_id, at, actor: "cloudwatch", action: "aws_account.verified", target: account, details: { alarm_name: alarmName ?? null } });
      ports.log.info({ tenant_id: claim.tenant_id, account }, "AWS account verified");
    }
    return null;
  }
  if (owner) return owner;
  const pending = await ports.tenants.pendingAwsAccountClaims(account);
  throw new Poison(pending.length
    ? `AWS account ${account} not verified: ${pending.length} pending claim(s); its alarms go to no tenant until one proves ownership with its ir-verify-<code> alarm`
    : `AWS account ${account} is not registered by any tenant`);
}
