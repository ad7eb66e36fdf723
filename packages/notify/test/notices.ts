import { CHANGES, type Change, type Incident } from "@ir/core";
import { toNotice, type Notice } from "../src/notice";
import type { NoticeContext } from "../src/policy";
import { incident } from "./fakes";

/** Notices as the stage builds them, for the receiver folders' tests. */

export const context = (overrides: Partial<NoticeContext> = {}): NoticeContext => ({
  previous_severity: "MEDIUM",
  new_occurrences: 7,
  held: 4,
  flapping_since: "2024-02-12T10:00:00Z",
  flapping_incident_id: "inc_0",
  quiet_ms: 30 * 60_000,
  ...overrides,
});

export const notice = (change: Change, overrides: Partial<Incident> = {}, ctx: Partial<NoticeContext> = {}): Notice =>
  toNotice(change, incident(overrides), context(ctx), "https://ir.example.com", new Date("2024-02-12T11:00:00Z"));

/** An incident at every size limit at once, full of characters Slack mrkdwn treats specially. */
export const oversized: Partial<Incident> = {
  error_message: `<!channel> & <@U123> ${"stack frame <at> x & y\n".repeat(3000)}`,
  service: `svc-${"x".repeat(400)}`,
  recommended_runbooks: Array.from({ length: 30 }, (_, n) => ({ runbook_id: `rb_${n}`, title: `Runbook ${"t".repeat(500)}`, similarity: 0.5, solution: "s".repeat(20_000) })),
  recommendations: [{ text: "r & <b> ".repeat(5_000), source: "llm" }],
  resolution: "fixed & <deployed> ".repeat(2_000),
  resolved_by: "sam@acme.io",
  resolved_at: "2024-02-12T12:00:00Z",
  regression_of: "inc_0",
};

export const ALL_CHANGES: Change[] = [...CHANGES];
