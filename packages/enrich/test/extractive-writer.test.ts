import { describe, expect, it } from "vitest";
import type { PastResolution } from "@ir/core";
import { ExtractiveWriter } from "../src/index";

const past = (resolution: string): PastResolution => ({
  incident_id: "inc_0", similarity: 0.9, resolution, resolved_by: "sre", resolved_at: "2024-01-01T00:00:00Z", runbook_id: null,
});
/** String.prototype.isWellFormed, which the project's lib target does not type yet. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s: string) => !LONE_SURROGATE.test(s);

const write = (pastResolutions: PastResolution[], runbooks: Array<{ runbook_id: string; title: string; solution: string }> = []) =>
  new ExtractiveWriter().write({
    incident: {} as never,
    runbooks: runbooks.map((r) => ({ ...r, similarity: 0.9, content: "" })),
    pastResolutions,
  });

describe("extractive writer: clipping", () => {
  const prefix = "Resolved before by sre: ";

  it.each([
    { name: "an emoji straddling the cut", at: 398 },
    { name: "an emoji ending right at the cut", at: 397 },
    { name: "an emoji starting right after the cut", at: 399 },
  ])("never leaves half a surrogate pair: $name", async ({ at }) => {
    // prepare
    const resolution = "x".repeat(at - prefix.length) + "🔥🔥 restarted the pod";
    // act
    const [rec] = await write([past(resolution)]);
    // assess
    expect(wellFormed(rec.text)).toBe(true);
    expect(rec.text.length).toBeLessThanOrEqual(400);
    expect(rec.text.endsWith("…")).toBe(true);
  });

  it("clips runbook solutions the same way", async () => {
    // act
    const [rec] = await write([], [{ runbook_id: "rb_1", title: "Pods", solution: "y".repeat(392) + "🚀🚀🚀 scale out" }]);
    // assess
    expect(wellFormed(rec.text)).toBe(true);
    expect(rec.text.length).toBeLessThanOrEqual(400);
  });

  it("keeps short text whole", async () => {
    // act
    const [rec] = await write([past("restarted the pod 🔥")]);
    // assess
    expect(rec.text).toBe("Resolved before by sre: restarted the pod 🔥");
  });
});
