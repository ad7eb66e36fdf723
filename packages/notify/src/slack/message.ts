import type { Severity } from "@ir/core";
import type { IncomingWebhookSendArguments } from "@slack/webhook";
import { describeFlapping, type Notice } from "../notice";
import { oneLine, truncate } from "../text";

type Block = NonNullable<IncomingWebhookSendArguments["blocks"]>[number];
export type SlackMessage = IncomingWebhookSendArguments & { text: string; blocks: Block[] };

/** Slack rejects a message (400 invalid_blocks) past these, so every text is cut to fit before it leaves. */
export const SLACK_LIMITS = { blocks: 50, section: 3000, field: 2000, header: 150, button: 75, text: 3000 } as const;

const EXCERPT = { error: 1500, solution: 300, recommendation: 600 } as const;

const SEVERITY_EMOJI: Record<Severity, string> = { CRITICAL: "🔴", HIGH: "🟠", MEDIUM: "🟡", LOW: "🔵" };

const emoji = (n: Notice): string => {
  if (n.change === "resolved") return "✅";
  if (n.change === "flapping_started") return "🔁";
  if (n.change === "flapping_stopped" && n.incident.status === "RESOLVED") return "✅";
  return SEVERITY_EMOJI[n.incident.severity];
};

/** Slack mrkdwn treats these three as control characters; user text must not form links or mentions. */
const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Escaped and cut to `max` after escaping, without leaving half an entity. */
const fit = (s: string, max: number): string => {
  let raw = truncate(s, max);
  while (escape(raw).length > max) raw = truncate(s, raw.length - (escape(raw).length - max));
  return escape(raw);
};

const link = (url: string, label: string) => `<${url}|${escape(label).replace(/\|/g, "¦")}>`;

/** Slack renders the date in the reader's time zone; the ISO string is the fallback for old clients. */
const slackDate = (iso: string) => `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} at {time}|${iso}>`;

const duration = (fromIso: string, toIso: string): string => {
  const s = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)];
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  return m ? `${m}m` : `${s}s`;
};

const section = (text: string): Block => ({ type: "section", text: { type: "mrkdwn", text: truncate(text, SLACK_LIMITS.section) } });
const fields = (items: Array<[string, string]>): Block => ({
  type: "section",
  fields: items.slice(0, 10).map(([label, value]) => ({ type: "mrkdwn", text: truncate(`*${label}*\n${value}`, SLACK_LIMITS.field) })),
});
const button = (text: string, url: string, style?: "primary" | "danger") => ({
  type: "button" as const,
  text: { type: "plain_text" as const, text: truncate(text, SLACK_LIMITS.button) },
  url,
  ...(style ? { style } : {}),
});

const codeBlock = (text: string) => "```" + fit(text.replace(/```/g, "ˋˋˋ"), EXCERPT.error) + "```";

export const buildSlackMessage = (n: Notice): SlackMessage => {
  const i = n.incident;
  const title = `${emoji(n)} ${n.headline}`;
  const blocks: Block[] = [{ type: "header", text: { type: "plain_text", text: truncate(title, SLACK_LIMITS.header), emoji: true } }];

  if (n.change === "resolved") {
    blocks.push(fields([
      ["Service", fit(i.service, 500)],
      ["Severity", i.severity],
      ["Resolved by", fit(i.resolved_by ?? "unknown", 500)],
      ["Time to resolve", i.resolved_at ? duration(i.created_at, i.resolved_at) : "unknown"],
      ["Occurrences", String(i.occurrences)],
    ]));
    if (i.resolution) blocks.push(section(`*Resolution:* ${fit(oneLine(i.resolution), EXCERPT.recommendation)}`));
    const used = i.recommended_runbooks.find((r) => r.runbook_id === i.resolved_runbook_id);
    if (used) blocks.push(section(`*Runbook used:* ${fit(used.title, 300)}`));
  } else {
    const facts: Array<[string, string]> = [
      ["Severity", `${SEVERITY_EMOJI[i.severity]} ${i.severity}`],
      ["Service", fit(i.service, 500)],
      ["Occurrences", String(i.occurrences)],
      ["Status", i.status],
    ];
    if (i.regression_of && n.regressionLink) facts.push(["Regression of", link(n.regressionLink, i.regression_of)]);
    blocks.push(fields(facts));
    blocks.push(section(codeBlock(i.error_message)));
    if (n.change === "flapping_started" || n.change === "flapping_stopped") blocks.push(section(`*Flapping.* ${describeFlapping(n)}`));
    if (n.runbook) {
      const solution = n.runbook.solution ? `\n>${fit(oneLine(n.runbook.solution), EXCERPT.solution)}` : "";
      blocks.push(section(`*Runbook:* ${link(n.runbook.link, truncate(n.runbook.title, 200))} (${Math.round(n.runbook.similarity * 100)}% match)${solution}`));
    }
    if (n.recommendation) blocks.push(section(`*Recommendation:* ${fit(oneLine(n.recommendation), EXCERPT.recommendation)}`));
  }

  const buttons = [button("Open incident", n.link, n.change === "resolved" ? undefined : "primary")];
  if (n.runbook && n.change !== "resolved") buttons.push(button("Open runbook", n.runbook.link));
  blocks.push({ type: "actions", elements: buttons });
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: `${escape(i.incident_id)} · ${n.change.replace("_", " ")} · first seen ${slackDate(i.created_at)} · last seen ${slackDate(i.last_seen)}` }],
  });

  // Mobile push notifications show only the top-level text, so it carries the whole headline.
  return { text: fit(title, SLACK_LIMITS.text), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
};
