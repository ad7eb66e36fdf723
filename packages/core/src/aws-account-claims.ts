import { randomBytes } from "node:crypto";
import type { AwsAccountClaim, Tenant, TenantSettings } from "./schemas";

/**
 * Who owns an AWS account's forwarded CloudWatch alarms. Those alarms carry no key: EventBridge stamps the
 * account they came from, which cannot be forged, but account ids are not secret, so naming one proves nothing.
 * A tenant's claim starts pending with a random code; it is verified when an alarm forwarded from that account
 * is named `ir-verify-<code>`, which only someone who can create alarms in the
 * account can arrange. Until then the account's alarms are nobody's. Several tenants may wait on one account;
 * the first to verify owns it and the others' pending claims are dropped.
 */

const VERIFICATION_PREFIX = "ir-verify-";
const CODE_BYTES = 12;
/** 96 random bits, hex: fits an alarm name, survives any quoting. */
const newVerificationCode = (): string => randomBytes(CODE_BYTES).toString("hex");
export const verificationAlarmName = (code: string) => `${VERIFICATION_PREFIX}${code}`;
/** Exactly a verification alarm's name, as verificationAlarmName makes it. */
const VERIFICATION_NAME = new RegExp(`^${VERIFICATION_PREFIX}([0-9a-f]{${CODE_BYTES * 2}})$`);

/**
 * The verification code an alarm named exactly `ir-verify-<code>` carries. Exactly: AWS names some alarms
 * after resources (target-tracking alarms repeat a table's or service's name), so a code found anywhere in
 * a name or description could be planted by anyone allowed to name a resource in the account.
 */
export function verificationCodeOf(alarmName: string | null | undefined): string | null {
  return VERIFICATION_NAME.exec(alarmName ?? "")?.[1] ?? null;
}

/**
 * A tenant's claims, one per account in `aws_account_ids`. An account registered before claims existed has no
 * claim recorded: it was accepted as the tenant's then and counts as verified, so deployments keep working.
 */
export function awsAccountClaimsOf(settings: Pick<TenantSettings, "aws_account_ids" | "aws_account_claims">): AwsAccountClaim[] {
  const recorded = new Map((settings.aws_account_claims ?? []).map((c) => [c.account_id, c]));
  return settings.aws_account_ids.map((id) => recorded.get(id) ?? { account_id: id, status: "verified", verification_code: null, claimed_at: null, verified_at: null });
}

/** Settings holding exactly these claims (`aws_account_ids` is always their accounts). */
export const withAwsAccountClaims = <S extends TenantSettings>(settings: S, claims: AwsAccountClaim[]): S =>
  ({ ...settings, aws_account_ids: claims.map((c) => c.account_id), aws_account_claims: claims });

/** The tenant with exactly these claims in its settings (what the stores write). */
export const tenantWithAwsAccountClaims = (tenant: Tenant, claims: AwsAccountClaim[]): Tenant =>
  ({ ...tenant, settings: withAwsAccountClaims(tenant.settings, claims) });

/**
 * The claims once a tenant asks for exactly `requested`: an account it already claims keeps its claim (a
 * pending one its code, so asking twice is harmless), a new one starts pending with a fresh code, and an
 * account left out is released.
 */
export function claimAwsAccounts(current: AwsAccountClaim[], requested: string[], at: string, newCode: () => string = newVerificationCode): AwsAccountClaim[] {
  const held = new Map(current.map((c) => [c.account_id, c]));
  return [...new Set(requested)].map((id) => held.get(id) ?? { account_id: id, status: "pending", verification_code: newCode(), claimed_at: at, verified_at: null });
}

/**
 * `next` written over `stored`: a claim changes only by being verified or released, so for an account both
 * hold the stored claim wins, and a verified claim the store no longer holds was released since and stays
 * released. A write prepared from an older read then can neither undo a verification nor take back an
 * account without proof; only new claims (pending) are added.
 */
export function keepClaimProgress(stored: AwsAccountClaim[], next: AwsAccountClaim[]): AwsAccountClaim[] {
  const held = new Map(stored.map((c) => [c.account_id, c]));
  return next.flatMap((c) => held.get(c.account_id) ?? (c.status === "pending" ? [c] : []));
}

/** The claims with the one on `accountId` verified at `at` (unchanged if it already was). */
export const markVerified = (claims: AwsAccountClaim[], accountId: string, at: string): AwsAccountClaim[] =>
  claims.map((c) => (c.account_id === accountId && c.status === "pending" ? { ...c, status: "verified", verified_at: at } : c));

/** The claims without a pending one on `accountId` (another tenant verified it first). */
export const dropPending = (claims: AwsAccountClaim[], accountId: string): AwsAccountClaim[] =>
  claims.filter((c) => !(c.account_id === accountId && c.status === "pending"));
