import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { signWebhook, verifyWebhookSignature } from "../../src/webhook/signature";

const SECRET = "whsec_0123456789abcdef";
const BODY = JSON.stringify({ type: "incident.opened", incident: { incident_id: "inc_1" } });
const TS = 1_707_733_800;
const NOW = TS * 1000;
const good = signWebhook(SECRET, TS, BODY);

describe("webhook signature", () => {
  it("is the hex HMAC-SHA256 of \"<timestamp>.<body>\", so any receiver can recompute it", () => {
    // prepare / act
    const expected = createHmac("sha256", SECRET).update(`${TS}.${BODY}`).digest("hex");
    // assess
    expect(good).toBe(`v1=${expected}`);
  });

  it.each([
    { name: "the signature as sent", secret: SECRET, ts: String(TS), body: BODY, sig: good, now: NOW, ok: true },
    { name: "a timestamp 299 s old", secret: SECRET, ts: String(TS), body: BODY, sig: good, now: NOW + 299_000, ok: true },
    { name: "one of several signatures (secret rotation)", secret: SECRET, ts: String(TS), body: BODY, sig: `v1=${"0".repeat(64)}, ${good}`, now: NOW, ok: true },
    { name: "a tampered body", secret: SECRET, ts: String(TS), body: BODY.replace("inc_1", "inc_2"), sig: good, now: NOW, ok: false },
    { name: "another secret", secret: "whsec_another_secret_00", ts: String(TS), body: BODY, sig: good, now: NOW, ok: false },
    { name: "a replay past the tolerance", secret: SECRET, ts: String(TS), body: BODY, sig: good, now: NOW + 301_000, ok: false },
    { name: "a timestamp from the future", secret: SECRET, ts: String(TS), body: BODY, sig: good, now: NOW - 301_000, ok: false },
    { name: "a timestamp changed to match the clock", secret: SECRET, ts: String(TS + 100), body: BODY, sig: good, now: NOW, ok: false },
    { name: "a malformed timestamp", secret: SECRET, ts: "soon", body: BODY, sig: good, now: NOW, ok: false },
    { name: "a malformed signature", secret: SECRET, ts: String(TS), body: BODY, sig: "v1=zz", now: NOW, ok: false },
    { name: "an unknown scheme", secret: SECRET, ts: String(TS), body: BODY, sig: good.replace("v1=", "v0="), now: NOW, ok: false },
  ])("$name → $ok", ({ secret, ts, body, sig, now, ok }) => {
    // prepare / act
    const verdict = verifyWebhookSignature(secret, ts, body, sig, now, 300);
    // assess
    expect(verdict).toBe(ok);
  });
});
