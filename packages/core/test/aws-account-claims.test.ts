import { describe, expect, it } from "vitest";
import { awsAccountClaimsOf, claimAwsAccounts, dropPending, keepClaimProgress, markVerified, verificationCodeOf } from "../src/aws-account-claims";
import type { AwsAccountClaim } from "../src/schemas";

const AT = "2026-11-29T10:00:00.000Z";
const pending = (account_id: string, code: string): AwsAccountClaim => ({ account_id, status: "pending", verification_code: code, claimed_at: AT, verified_at: null });
const verified = (account_id: string, code: string | null = null): AwsAccountClaim => ({ account_id, status: "verified", verification_code: code, claimed_at: code ? AT : null, verified_at: code ? AT : null });

describe("verificationCodeOf", () => {
  it.each([
    ["an alarm named exactly ir-verify-<code>", "ir-verify-5f0c2a9e41b7d3c8a6e0f912", "5f0c2a9e41b7d3c8a6e0f912"],
    // AWS names target-tracking alarms after the resource: whoever may name a table must not verify the account.
    ["a code inside another name", "TargetTracking-table/ir-verify-5f0c2a9e41b7d3c8a6e0f912-AlarmHigh-1a2b", null],
    ["a prefix in other case", "IR-VERIFY-5f0c2a9e41b7d3c8a6e0f912", null],
    ["a code in other case", "ir-verify-5F0C2A9E41B7D3C8A6E0F912", null],
    ["a name that is not a code", "ir-verify-please", null],
    ["no name", undefined, null],
  ])("reads %s", (_what, name, code) => {
    expect(verificationCodeOf(name)).toBe(code);
  });
});

describe("claims", () => {
  it("accounts registered before claims existed count as verified, without a code", () => {
    expect(awsAccountClaimsOf({ aws_account_ids: ["111111111111"] })).toEqual([verified("111111111111")]);
    expect(awsAccountClaimsOf({ aws_account_ids: ["111111111111"], aws_account_claims: [pending("111111111111", "c1")] })).toEqual([pending("111111111111", "c1")]);
  });

  it("a new account starts pending with a fresh code; a held one keeps its claim; one left out is released", () => {
    const codes = ["new1", "new2"];
    const next = claimAwsAccounts([pending("111111111111", "c1"), verified("222222222222")], ["111111111111", "333333333333", "333333333333"], AT, () => codes.shift()!);
    expect(next).toEqual([pending("111111111111", "c1"), pending("333333333333", "new1")]);
  });

  it("a settings write keeps what verification did since it read", () => {
    const stored = [verified("111111111111", "c1")];
    expect(keepClaimProgress(stored, [pending("111111111111", "c1"), pending("222222222222", "c2")])).toEqual([verified("111111111111", "c1"), pending("222222222222", "c2")]);
  });

  it("a settings write prepared before a release does not take the account back", () => {
    expect(keepClaimProgress([], [verified("111111111111", "c1"), pending("222222222222", "c2")])).toEqual([pending("222222222222", "c2")]);
  });

  it("verification marks one claim; another tenant's pending claim is dropped, a verified one never", () => {
    expect(markVerified([pending("111111111111", "c1")], "111111111111", AT)).toEqual([verified("111111111111", "c1")]);
    expect(dropPending([pending("111111111111", "c1"), verified("222222222222")], "111111111111")).toEqual([verified("222222222222")]);
    expect(dropPending([verified("111111111111")], "111111111111")).toEqual([verified("111111111111")]);
  });
});
