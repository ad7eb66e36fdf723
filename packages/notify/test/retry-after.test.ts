import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../src/retry-after";
import { MAX_RETRY_MS, retryDelay } from "../src/delivery";

const NOW = new Date("2024-02-12T10:30:00Z");

describe("Retry-After", () => {
  it.each([
    { value: "7", ms: 7_000 },
    { value: " 0 ", ms: 0 },
    { value: "Mon, 12 Feb 2024 10:32:00 GMT", ms: 120_000 },
    { value: "Mon, 12 Feb 2024 10:00:00 GMT", ms: 0 },
    { value: "soon", ms: null },
    { value: "-5", ms: null },
    { value: "", ms: null },
    { value: null, ms: null },
  ])("$value → $ms", ({ value, ms }) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it("is capped so no receiver can park a message for a day", () => {
    expect(retryDelay("86400", NOW)).toBe(MAX_RETRY_MS);
  });
});
