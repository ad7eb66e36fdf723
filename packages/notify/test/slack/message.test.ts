import { describe, expect, it } from "vitest";
import { SLACK_LIMITS, buildSlackMessage } from "../../src/slack/message";
import { ALL_CHANGES, notice, oversized } from "../notices";

type Text = { type: string; text: string };
type AnyBlock = { type: string; text?: Text; fields?: Text[]; elements?: Array<{ text?: Text | string; url?: string }> };

const sizes = (blocks: AnyBlock[]) => ({
  header: Math.max(0, ...blocks.filter((b) => b.type === "header").map((b) => b.text!.text.length)),
  section: Math.max(0, ...blocks.filter((b) => b.type === "section" && b.text).map((b) => b.text!.text.length)),
  field: Math.max(0, ...blocks.flatMap((b) => b.fields ?? []).map((f) => f.text.length)),
  fields: Math.max(0, ...blocks.map((b) => b.fields?.length ?? 0)),
});

describe("Slack message", () => {
  describe.each(ALL_CHANGES)("%s", (change) => {
    it("stays within Slack's limits for the largest incident", () => {
      // prepare
      const n = notice(change, oversized);
      // act
      const message = buildSlackMessage(n);
      // assess
      const blocks = message.blocks as AnyBlock[];
      const s = sizes(blocks);
      expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
      expect(s.header).toBeLessThanOrEqual(SLACK_LIMITS.header);
      expect(s.section).toBeLessThanOrEqual(SLACK_LIMITS.section);
      expect(s.field).toBeLessThanOrEqual(SLACK_LIMITS.field);
      expect(s.fields).toBeLessThanOrEqual(10);
      expect(message.text.length).toBeGreaterThan(0);
      expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
    });

    it("never lets user text form mentions or links", () => {
      // prepare
      const n = notice(change, oversized);
      // act
      const message = buildSlackMessage(n);
      // assess: the blocks (a header is plain text) and the top-level text, which a push notification shows
      for (const text of [JSON.stringify(message.blocks.filter((b) => b.type !== "header")), message.text]) {
        expect(text).not.toContain("<!channel>");
        expect(text).not.toContain("<@U123>");
        expect(text).not.toMatch(/&(?![a-z]+;)/); // every & escaped, none cut in half
      }
      expect(message.text).toContain("&lt;!channel&gt;");
    });

    it("sets the top-level text to the emoji and the specific headline (mobile push shows only that)", () => {
      // prepare / act
      const message = buildSlackMessage(notice(change));
      // assess
      expect(message.text).toMatch(/^\p{Extended_Pictographic} .*payment-processor: Lambda function timeout after 30 seconds$/u);
      expect(message.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text", text: message.text } });
    });
  });

  it.each([
    { severity: "CRITICAL", emoji: "🔴" },
    { severity: "HIGH", emoji: "🟠" },
    { severity: "MEDIUM", emoji: "🟡" },
    { severity: "LOW", emoji: "🔵" },
  ] as const)("marks $severity with $emoji", ({ severity, emoji }) => {
    // prepare / act
    const message = buildSlackMessage(notice("opened", { severity }));
    // assess
    expect(message.text).toBe(`${emoji} ${severity} in payment-processor: Lambda function timeout after 30 seconds`);
  });

  it("an open incident shows service, occurrences, the best runbook, a recommendation excerpt and the link", () => {
    // prepare / act
    const json = JSON.stringify(buildSlackMessage(notice("opened", { occurrences: 12 })));
    // assess
    expect(json).toContain("*Service*\\npayment-processor");
    expect(json).toContain("*Occurrences*\\n12");
    expect(json).toContain("<https://ir.example.com/dashboard#/runbooks/rb_timeout|Lambda Timeout> (89% match)");
    expect(json).toContain("*Recommendation:* Raise the function timeout");
    expect(json).toContain("\"url\":\"https://ir.example.com/dashboard#/incidents/inc_1\"");
  });

  it("a resolution is its own message: who, how long, how", () => {
    // prepare
    const n = notice("resolved", { status: "RESOLVED", resolved_at: "2024-02-12T11:45:00Z", resolved_by: "sam@acme.io", resolution: "Raised timeout", resolved_runbook_id: "rb_timeout" });
    // act
    const message = buildSlackMessage(n);
    const json = JSON.stringify(message);
    // assess
    expect(message.text).toBe("✅ Resolved in payment-processor: Lambda function timeout after 30 seconds");
    expect(json).toContain("*Resolved by*\\nsam@acme.io");
    expect(json).toContain("*Time to resolve*\\n1h 15m");
    expect(json).toContain("*Resolution:* Raised timeout");
    expect(json).toContain("*Runbook used:* Lambda Timeout");
    expect(json).not.toContain("```");
  });

  it("says how many occurrences an update adds", () => {
    // prepare / act
    const message = buildSlackMessage(notice("recurred", { occurrences: 20 }, { new_occurrences: 7 }));
    // assess
    expect(message.text).toBe("🟠 7 more occurrences (20 total) in payment-processor: Lambda function timeout after 30 seconds");
  });
});
