import { createHash } from "node:crypto";
import { truncate, type Incident } from "@ir/core";
import { analyze } from "./analyze";
import { TEMPLATE_MERGE } from "./decide";
import { templateSimilarity } from "./template";

/** Three fixes of one problem written by hand are a pattern worth a runbook; two may be chance. */
export const MIN_INCIDENTS = 3;
/**
 * Cosine between a note's stemmed words and its group's: "raised timeout to 60s" and "increased the
 * timeout to 90s" share half their words (0.5), "restarted the pod" and "rolled back the deploy" none.
 */
const NOTE_SIMILARITY = 0.4;
const MAX_SYMPTOMS = 5;
const MAX_RESOLUTIONS = 10;

export type ResolvedIncident = Pick<Incident,
  "incident_id" | "service" | "template" | "error_message" | "created_at" | "status" | "resolution" | "resolved_by" | "resolved_at" | "resolved_runbook_id" | "regression_of">;

export interface RunbookSuggestion {
  /** Stable while the group grows: a hash of the service and the group's first incident. */
  suggestion_id: string;
  service: string;
  title: string;
  content: string;
  tags: string[];
  incident_ids: string[];
}

type Bag = Map<string, number>;
const bagOf = (text: string): Bag => {
  const bag: Bag = new Map();
  for (const w of analyze(text, false)) bag.set(w, (bag.get(w) ?? 0) + 1);
  return bag;
};
const cosine = (a: Bag, b: Bag) => {
  let dot = 0, na = 0, nb = 0;
  for (const [w, n] of a) { na += n * n; dot += n * (b.get(w) ?? 0); }
  for (const n of b.values()) nb += n * n;
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
};
const addBag = (into: Bag, b: Bag) => { for (const [w, n] of b) into.set(w, (into.get(w) ?? 0) + n); };

/**
 * Problems the team keeps fixing by hand: resolved incidents without a credited runbook, grouped by
 * service and template (the dedup's own notion of "the same event"; a regression always joins what it
 * regressed from), then by how alike their resolution notes are. Each group of MIN_INCIDENTS or more
 * becomes a draft runbook. Pure and deterministic: the same incidents give the same suggestions.
 */
export function suggestRunbooks(incidents: ResolvedIncident[], exclude: ReadonlySet<string> = new Set()): RunbookSuggestion[] {
  const usable = incidents
    .filter((i) => i.status === "RESOLVED" && i.resolution?.trim() && !i.resolved_runbook_id && !exclude.has(i.incident_id))
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.incident_id.localeCompare(b.incident_id));

  const problems: ResolvedIncident[][] = [];
  const problemOf = new Map<string, ResolvedIncident[]>();
  for (const inc of usable) {
    const group = (inc.regression_of ? problemOf.get(inc.regression_of) : undefined)
      ?? problems.find((g) => g[0].service === inc.service && templateSimilarity(g[0].template, inc.template) >= TEMPLATE_MERGE);
    if (group) group.push(inc);
    else problems.push([inc]);
    problemOf.set(inc.incident_id, group ?? problems[problems.length - 1]);
  }

  const out: RunbookSuggestion[] = [];
  for (const problem of problems) {
    const fixes: Array<{ bag: Bag; members: ResolvedIncident[] }> = [];
    for (const inc of problem) {
      const bag = bagOf(inc.resolution!);
      const fix = fixes.find((f) => cosine(f.bag, bag) >= NOTE_SIMILARITY);
      if (fix) {
        fix.members.push(inc);
        addBag(fix.bag, bag);
      } else fixes.push({ bag, members: [inc] });
    }
    for (const { members } of fixes) if (members.length >= MIN_INCIDENTS) out.push(draft(members));
  }
  return out.sort((a, b) => b.incident_ids.length - a.incident_ids.length || a.suggestion_id.localeCompare(b.suggestion_id));
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();
const code = (s: string) => (s.includes("`") ? s : `\`${s}\``);

function draft(members: ResolvedIncident[]): RunbookSuggestion {
  const first = members[0];
  const service = first.service;
  // The first alarm as it was written reads better than its masked template ("over <duration>").
  const title = truncate(`${service}: ${oneLine(first.error_message)}`, 120);
  const symptoms = [...new Set(members.map((m) => truncate(oneLine(m.error_message), 300)))].slice(0, MAX_SYMPTOMS);
  const fixes = members.slice(-MAX_RESOLUTIONS).reverse();
  const content = [
    `# ${title}`,
    "",
    `Drafted from ${members.length} incidents of ${service} resolved by hand between ${first.resolved_at!.slice(0, 10)} and ${members[members.length - 1].resolved_at!.slice(0, 10)}. Review before relying on it.`,
    "",
    "## Symptoms",
    "",
    ...symptoms.map((s) => `- ${code(s)}`),
    "",
    "## Resolution",
    "",
    ...fixes.map((m) => `- ${oneLine(m.resolution!)} (${m.resolved_by ?? "unknown"}, ${m.resolved_at!.slice(0, 10)}, ${m.incident_id})`),
    "",
  ].join("\n");
  return {
    suggestion_id: `sug_${createHash("sha256").update(`${service}\n${first.incident_id}`).digest("hex").slice(0, 16)}`,
    service, title, content, tags: [truncate(service, 100), "suggested"],
    incident_ids: members.map((m) => m.incident_id),
  };
}
