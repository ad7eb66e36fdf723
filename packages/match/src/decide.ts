import type { EmbedderThresholds } from "@ir/core";
import { mergeTemplate, sameWords, templateSimilarity } from "./template";

export interface Candidate {
  incident_id: string;
  status: "OPEN" | "RESOLVED";
  template: string;
  /** Cosine from the vector index. */
  score: number;
  created_at: string;
}

export interface DecideInput {
  masked: string;
  fingerprintHit: Candidate | null;
  /** Top-K from the vector index, same tenant and service, best first. */
  candidates: Candidate[];
  thresholds: EmbedderThresholds;
}

export interface RelatedRef {
  incident_id: string;
  similarity: number;
}

export type Decision =
  | { kind: "attach"; target: Candidate; method: "fingerprint" | "template" | "vector"; score: number; template: string; related: RelatedRef[] }
  | { kind: "new"; method: "none"; score: number; template: string; related: RelatedRef[] };

/**
 * Template similarity at or above which a message is the same event as an incident. It does not
 * depend on the embedder (token agreement means the same whatever the model), so it lives here.
 * Replaying the LogHub corpora with templates grown from their true groups, a new message scores
 * at least 0.80 against its own group's template whenever it can be matched at all, and at most
 * 0.77 against any other group's: the threshold sits in that gap.
 */
export const TEMPLATE_MERGE = 0.78;
/** Below merge, at or above this: reported as related, not merged. */
export const TEMPLATE_RELATED = 0.5;
const MAX_RELATED = 5;

interface Scored {
  c: Candidate;
  t: number;
  v: number;
  method: "template" | "vector";
  score: number;
}

/** Open incidents first (attaching beats opening a regression), then the better match, then the newest. */
const better = (a: Scored, b: Scored): number => {
  if (a.c.status !== b.c.status) return a.c.status === "OPEN" ? -1 : 1;
  if (a.score !== b.score) return b.score - a.score;
  return newestFirst(a.c, b.c);
};

const newestFirst = (a: Candidate, b: Candidate): number => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0);

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * An exact message whose fingerprint still points at a resolved incident, while a newer open one
 * (its regression) matches as well: the open one is where it belongs.
 */
const openSuccessor = (masked: string, hit: Candidate, candidates: Candidate[]): Candidate | undefined =>
  hit.status === "RESOLVED"
    ? candidates
        .filter((c) => c.status === "OPEN" && c.created_at > hit.created_at && templateSimilarity(masked, c.template) >= TEMPLATE_MERGE)
        .sort(newestFirst)[0]
    : undefined;

/**
 * The dedup decision for one masked message: attach to an existing incident (by fingerprint, by
 * template, or by vector) or open a new one, listing look-alikes that were not merged as related.
 * Pure: the caller turns an attach to a RESOLVED incident into a regression.
 */
export function decide(input: DecideInput): Decision {
  const { masked, fingerprintHit, candidates, thresholds } = input;
  if (fingerprintHit) {
    const successor = openSuccessor(masked, fingerprintHit, candidates);
    if (successor) {
      const score = round(templateSimilarity(masked, successor.template));
      return { kind: "attach", target: successor, method: "template", score, template: mergeTemplate(successor.template, masked), related: [] };
    }
    return { kind: "attach", target: fingerprintHit, method: "fingerprint", score: 1, template: mergeTemplate(fingerprintHit.template, masked), related: [] };
  }

  const scored: Scored[] = candidates.map((c) => {
    const t = templateSimilarity(masked, c.template);
    const byTemplate = t >= TEMPLATE_MERGE;
    return { c, t, v: c.score, method: byTemplate ? "template" : "vector", score: byTemplate ? t : c.score };
  });
  // A vector-only merge also needs the same words: embeddings blur the one short word that matters
  // ("torus x+" vs "torus y+", "enabled" vs "disabled"), so the vector may only forgive word order.
  const target = scored.filter((s) => s.t >= TEMPLATE_MERGE || (s.v >= thresholds.merge && sameWords(masked, s.c.template))).sort(better)[0];

  const related = scored
    .filter((s) => s !== target && s.c.incident_id !== target?.c.incident_id && (s.v >= thresholds.related || s.t >= TEMPLATE_RELATED))
    .map((s) => ({ incident_id: s.c.incident_id, similarity: round(Math.max(s.v, s.t)) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, MAX_RELATED);

  if (!target) {
    const best = scored.reduce((m, s) => Math.max(m, s.t, s.v), 0);
    return { kind: "new", method: "none", score: round(best), template: masked, related };
  }
  return {
    kind: "attach",
    target: target.c,
    method: target.method,
    score: round(target.score),
    template: mergeTemplate(target.c.template, masked),
    related,
  };
}
