import { analyze, expand, phrases, terms } from "./analyze";
import { solutionExcerpt, splitRunbook } from "./runbook-sections";

export interface RunbookDoc {
  runbook_id: string;
  title: string;
  content: string;
  tags: string[];
  success_count: number;
  failure_count: number;
  vector: Float32Array;
  /** Whose runbook this is: the tenant's own, or a built-in global default. Unset counts as the tenant's. */
  scope?: "tenant" | "global";
}

export interface RunbookHit {
  runbook_id: string;
  title: string;
  similarity: number;
  solution: string;
}

/**
 * BM25F field weights: a term in the title (the alert name, split) says more than one in the
 * symptoms section, which says more than one in the body (diagnosis commands, links).
 */
const FIELDS = ["title", "symptoms", "body"] as const;
type Field = (typeof FIELDS)[number];
const WEIGHT: Record<Field, number> = { title: 3, symptoms: 2, body: 1 };
/** Titles are all short: their length says little, so it is barely normalized. */
const B: Record<Field, number> = { title: 0.3, symptoms: 0.75, body: 0.75 };
const K1 = 1.2;

/**
 * How the score is fused. Relevance is `lexical` × fielded BM25 (squashed to 0..1) + `vector` ×
 * cosine, then scaled by how much of the runbook's subject (its title) the alert names: a runbook
 * about "Kube Scheduler" is a poor answer to "Kubelet has disappeared", however much of the rest of
 * the sentence its prose repeats. `title` is the share of the score that depends on that (0..1).
 *
 * Chosen on the prometheus-operator runbooks and their 165 alerts, with and without the global
 * defaults alongside: a grid over lexical 0.45–0.65, vector 0.25–0.4 and title 0.62–0.74 keeps the
 * best ranking in a band around title ≈ 0.66; the defaults sit in the middle of that band, where every
 * neighbouring setting ranks the same, rather than on an isolated peak.
 *
 * `named` is evidence of its own, not a scaling: when the alert states the runbook's name as a phrase
 * ("Kubelet has disappeared" states "Kubelet Down"), that closes this share of the gap between the
 * relevance and 1. A runbook is named after the alert it answers, and its prose may share none of the
 * alert's wording while a sibling's prose repeats the alert's sentence with another subject. Every value
 * in 0.15–0.5 ranks those 165 alerts the same, with or without the defaults; 0.3 sits in the middle.
 */
export interface RankWeights {
  lexical: number;
  vector: number;
  title: number;
  named: number;
}
export const DEFAULT_WEIGHTS: RankWeights = { lexical: 0.55, vector: 0.35, title: 0.66, named: 0.3 };

/**
 * BM25 is unbounded; it is divided by this share of the score the query would get against a document
 * holding all its terms once in the title (the scale of "fully answered"), and capped at 1: matching
 * half of what the alert says, by weight, is as good as a lexical match gets.
 */
const FULL_SCORE = 0.5;
/** Words a query implies (see `expand`) weigh a quarter of stated ones (BM25 takes the square root of query counts). */
const IMPLIED_WEIGHT = 0.25;
/**
 * Learning from outcomes: a Beta(1, 1) prior over "this runbook resolves what it is recommended for",
 * moving the score by at most ±PRIOR_SPAN. Small on purpose: it orders near-ties, it never overrides
 * relevance, and ten successes do not outweigh a clearly better match.
 */
const PRIOR_SPAN = 0.04;
/**
 * A team's own runbook knows its systems; a global default is generic advice. When a tenant has
 * runbooks of its own, a global one must be about twice as relevant to be recommended before them.
 */
const GLOBAL_FACTOR = 0.5;

interface Indexed {
  doc: RunbookDoc;
  tf: Record<Field, Map<string, number>>;
  len: Record<Field, number>;
  /** Distinct title words (identifiers split): the runbook's subject. */
  titleTerms: string[];
  /** Each title word's idf over titles, and their sum: title coverage without a lookup per word and query. */
  titleIdf: number[];
  titleIdfSum: number;
  /** Adjacent word pairs of each multi-word spelling of the title. */
  titlePairs: string[][];
  solution: string;
  prior: number;
  /** Scales relevance: 1, or GLOBAL_FACTOR for a global runbook next to the tenant's own. */
  provenance: number;
}

const countTerms = (list: string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const t of list) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
};

const cosine = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
};

/** Expected success rate under the prior, centred on 0: in (-0.5, 0.5). */
const priorOf = (success: number, failure: number): number => {
  const s = Math.max(0, success);
  const f = Math.max(0, failure);
  return (s + 1) / (s + f + 2) - 0.5;
};

const idfOf = (n: number, df: number): number => Math.log(1 + (n - df + 0.5) / (df + 0.5));

/**
 * A word's implied synonyms stand in for it inside the pairs it forms too: "kubelet disappear" also
 * says "kubelet down", which is how a runbook named KubeletDown spells it.
 */
const impliedPairs = (query: Map<string, number>): string[] => {
  const out = new Set<string>();
  for (const term of query.keys()) {
    const [a, b, extra] = term.split(" ");
    if (b === undefined || extra !== undefined) continue;
    for (const s of expand([a])) out.add(`${s} ${b}`);
    for (const s of expand([b])) out.add(`${a} ${s}`);
  }
  return [...out].filter((p) => !query.has(p));
};

/**
 * Hybrid runbook retrieval: fielded BM25 over words and word pairs fused with vector cosine, scaled
 * by title coverage, raised when the alert states the runbook's name, the tenant's own runbooks
 * preferred to global defaults, nudged by each runbook's track record. Build once per runbook set
 * (one pass over the documents), query many times.
 */
export class RunbookIndex {
  private readonly items: Indexed[];
  /**
   * Term → the runbooks holding it, with the term's saturated, length-normalized BM25F frequency in each:
   * everything of the score that does not depend on the query, so a search reads only its own terms' postings.
   */
  private readonly postings = new Map<string, Array<{ at: number; tf: number }>>();
  private readonly df = new Map<string, number>();
  private readonly titleDf = new Map<string, number>();
  private readonly avgLen: Record<Field, number>;
  private readonly weights: RankWeights;

  constructor(docs: RunbookDoc[], weights: RankWeights = DEFAULT_WEIGHTS) {
    this.weights = weights;
    this.items = docs.map((doc) => {
      const sections = splitRunbook(doc.title, doc.content);
      const fields: Record<Field, string[]> = {
        title: terms(`${sections.title}. ${doc.tags.join(". ")}`),
        symptoms: terms(sections.symptoms),
        body: terms(sections.body),
      };
      return {
        doc,
        tf: { title: countTerms(fields.title), symptoms: countTerms(fields.symptoms), body: countTerms(fields.body) },
        len: { title: fields.title.length, symptoms: fields.symptoms.length, body: fields.body.length },
        titleTerms: [...new Set(analyze(sections.title, false))],
        titleIdf: [],
        titleIdfSum: 0,
        titlePairs: sections.titles.map((t) => phrases(t)).filter((p) => p.length > 0),
        solution: solutionExcerpt(doc.content),
        prior: priorOf(doc.success_count, doc.failure_count),
        provenance: 1,
      };
    });
    if (docs.some((d) => d.scope !== "global")) {
      for (const it of this.items) if (it.doc.scope === "global") it.provenance = GLOBAL_FACTOR;
    }
    const total = { title: 0, symptoms: 0, body: 0 };
    for (const it of this.items) {
      const seen = new Set<string>();
      for (const f of FIELDS) {
        total[f] += it.len[f];
        for (const t of it.tf[f].keys()) seen.add(t);
      }
      for (const t of seen) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      for (const t of it.titleTerms) this.titleDf.set(t, (this.titleDf.get(t) ?? 0) + 1);
    }
    const n = Math.max(1, this.items.length);
    this.avgLen = { title: total.title / n || 1, symptoms: total.symptoms / n || 1, body: total.body / n || 1 };
    this.items.forEach((it, at) => {
      for (const term of new Set(FIELDS.flatMap((f) => [...it.tf[f].keys()]))) {
        let tf = 0;
        for (const f of FIELDS) {
          const raw = it.tf[f].get(term);
          if (raw) tf += (WEIGHT[f] * raw) / (1 - B[f] + (B[f] * it.len[f]) / this.avgLen[f]);
        }
        (this.postings.get(term) ?? this.postings.set(term, []).get(term)!).push({ at, tf: (tf * (K1 + 1)) / (tf + K1) });
      }
      it.titleIdf = it.titleTerms.map((t) => idfOf(this.items.length, this.titleDf.get(t) ?? 0));
      it.titleIdfSum = it.titleIdf.reduce((a, b) => a + b, 0);
    });
  }

  private idf(term: string): number {
    return idfOf(this.items.length, this.df.get(term) ?? 0);
  }

  /** Every runbook's BM25F score for the query, by position. */
  private bm25(query: Map<string, number>): Float64Array {
    const scores = new Float64Array(this.items.length);
    for (const [term, qtf] of query) {
      const list = this.postings.get(term);
      if (!list) continue;
      const w = this.idf(term) * Math.sqrt(qtf);
      for (const p of list) scores[p.at] += w * p.tf;
    }
    return scores;
  }

  /** The BM25 of a document holding every query term once in a title of average length: the scale of "fully answered". */
  private selfScore(query: Map<string, number>): number {
    let score = 0;
    const tf = WEIGHT.title;
    for (const [term, qtf] of query) score += this.idf(term) * Math.sqrt(qtf) * ((tf * (K1 + 1)) / (tf + K1));
    return score;
  }

  /**
   * Share of the title's information the query names, with idf over titles alone: "kube" in most
   * titles says nothing, "scheduler" in one says which runbook this is.
   */
  private titleCoverage(it: Indexed, query: Map<string, number>): number {
    let have = 0;
    for (let i = 0; i < it.titleTerms.length; i++) if (query.has(it.titleTerms[i])) have += it.titleIdf[i];
    return it.titleIdfSum > 0 ? have / it.titleIdfSum : 0;
  }

  /**
   * Share of the title's adjacent word pairs the query states, for its best-stated spelling: word order
   * is what tells a name stated ("kubelet down") from its words scattered over a sentence. One-word
   * titles have no pair and state nothing here: a lone word ("igb_heartbeat") is weak evidence of a
   * name, and `titleCoverage` already counts it.
   */
  private titleStated(it: Indexed, query: Map<string, number>): number {
    let best = 0;
    for (const pairs of it.titlePairs) best = Math.max(best, pairs.filter((p) => query.has(p)).length / pairs.length);
    return best;
  }

  search(query: string, queryVector: Float32Array, k: number): RunbookHit[] {
    if (this.items.length === 0 || k <= 0) return [];
    const q = countTerms(terms(query));
    for (const t of [...expand(q.keys()), ...impliedPairs(q)]) q.set(t, IMPLIED_WEIGHT);
    const full = this.selfScore(q) * FULL_SCORE;
    const w = this.weights;
    const bm25 = this.bm25(q);
    const hits = this.items.map((it, at) => {
      const lexical = full > 0 ? Math.min(1, bm25[at] / full) : 0;
      const vector = Math.max(0, cosine(queryVector, it.doc.vector));
      const matched = (w.lexical * lexical + w.vector * vector) * (1 - w.title + w.title * this.titleCoverage(it, q));
      const relevance = matched + w.named * this.titleStated(it, q) * (1 - matched);
      const similarity = Math.min(1, Math.max(0, relevance * it.provenance * (1 + 2 * PRIOR_SPAN * it.prior)));
      return { it, similarity };
    });
    hits.sort((a, b) => b.similarity - a.similarity || a.it.doc.runbook_id.localeCompare(b.it.doc.runbook_id));
    return hits.slice(0, k).map(({ it, similarity }) => ({
      runbook_id: it.doc.runbook_id,
      title: it.doc.title,
      similarity: Math.round(similarity * 1e4) / 1e4,
      solution: it.solution,
    }));
  }
}
