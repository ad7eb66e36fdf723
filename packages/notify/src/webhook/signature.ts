import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Generic webhooks are signed so a receiver can tell them from forgeries and replays: HMAC-SHA256 over
 * "<timestamp>.<body>" with the channel's secret (given in the PUT, or generated and shown once by it; see
 * secrets.ts), the timestamp in its own header.
 * A receiver recomputes it over the raw body it got and rejects stale timestamps.
 */

export const TIMESTAMP_HEADER = "X-IR-Timestamp";
export const SIGNATURE_HEADER = "X-IR-Signature";
export const DELIVERY_HEADER = "X-IR-Delivery";
export const DEFAULT_TOLERANCE_SECONDS = 300;

const hmac = (secret: string, timestamp: string | number, body: string) =>
  createHmac("sha256", secret).update(`${timestamp}.${body}`).digest();

/** The `X-IR-Signature` value: `v1=<hex>`. */
export const signWebhook = (secret: string, timestamp: string | number, body: string): string =>
  `v1=${hmac(secret, timestamp, body).toString("hex")}`;

/**
 * True when `signature` (one or more comma-separated `v1=<hex>`, so a sender can sign with an old and a new
 * secret while rotating) matches the body and the timestamp (Unix seconds) is within `toleranceSeconds` of `nowMs`.
 */
export const verifyWebhookSignature = (
  secret: string,
  timestamp: string | number,
  body: string,
  signature: string,
  nowMs: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): boolean => {
  const ts = String(timestamp).trim();
  if (!/^\d{1,12}$/.test(ts)) return false;
  if (Math.abs(nowMs / 1000 - Number(ts)) > toleranceSeconds) return false;
  const expected = hmac(secret, ts, body);
  return signature.split(",").some((part) => {
    const hex = /^\s*v1=([0-9a-f]{64})\s*$/i.exec(part)?.[1];
    return hex !== undefined && timingSafeEqual(Buffer.from(hex, "hex"), expected);
  });
};
