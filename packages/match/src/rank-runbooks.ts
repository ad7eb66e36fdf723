import { analyze } from "./analyze";
import { solutionExcerpt, splitRunbook } from "./runbook-sections";

export interface RunbookDoc {
  runbook_id: string;
  title: string;
  content: string;
  tags: string[];
  success_count: number;
  failure_count: number;
  vector: Float32Array;
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
const B: Record<Field, number> = { title: 0.3, symptoms: 0.75, body: 0.75 };
const K1 = 1.2;

/** Share of the fused score taken by lexical relevance; the rest is vector cosine. */
const LEXICAL_SHARE = 0.6;
/**
 * BM25 is unbounded; it is squashed by the score the query would get against a document made of its
 * own words in the title, so a query fully answered scores near 1 and one barely touched near 0.
 */
const SELF_MATCH_SHARE = 0.5;
/**
 * Learning from outcomes: a Beta(1, 1) prior over "this runbook resolves what it is recommended for",
 * moving the score by at most ±PRIOR_SPAN. Small on purpose: it orders near-ties, it never overrides
 * relevance, and ten successes do not outweigh a clearly better match.
 */
const PRIOR_SPAN = 0.04;

interface Indexed {
  doc: RunbookDoc;
  tf: Record<Field, Map<string, number>>;
  len: Record<Field, number>;
  solution: string;
  prior: number;
}

const countTerms = (terms: string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const t of terms) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
};

const cosine = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
};

/** Expected success rate under the prior, centred on 0: in [-0.5, 0.5). */
const priorOf = (success: number, failure: number): number => {
  const s = Math.max(0, success);
  const f = Math.max(0, failure);
  return (s + 1) / (s + f + 2) - 0.5;
};

/**
 * Hybrid runbook retrieval: fielded BM25 fused with vector cosine, nudged by each runbook's track record.
 * Build once per runbook set (it is cheap: one pass over the documents), query many times.
 */
export class RunbookIndex {
  private readonly items: Indexed[];
  private readonly df = new Map<string, number>();
  private readonly avgLen: Record<Field, number>;

  constructor(docs: RunbookDoc[]) {
    this.items = docs.map((doc) => {
      const sections = splitRunbook(doc.title, doc.content);
      const fields: Record<Field, string[]> = {
        title: analyze(`${sections.title} ${doc.tags.join(" ")}`),
        symptoms: analyze(sections.symptoms),
        body: analyze(sections.body),
      };
      const tf = { title: countTerms(fields.title), symptoms: countTerms(fields.symptoms), body: countTerms(fields.body) };
      const len = { title: fields.title.length, symptoms: fields.symptoms.length, body: fields.body.length };
      return { doc, tf, len, solution: solutionExcerpt(doc.content), prior: priorOf(doc.success_count, doc.failure_count) };
    });
    const total = { title: 0, symptoms: 0, body: 0 };
    for (const it of this.items) {
      const seen = new Set<string>();
      for (const f of FIELDS) {
        total[f] += it.len[f];
        for (const t of it.tf[f].keys()) seen.add(t);
      }
      for (const t of seen) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    }
    const n = Math.max(1, this.items.length);
    this.avgLen = { title: total.title / n || 1, symptoms: total.symptoms / n || 1, body: total.body / n || 1 };
  }

  private idf(term: string): number {
    const n = this.items.length;
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  private bm25(it: Indexed, query: Map<string, number>): number {
    let score = 0;
    for (const [term, qtf] of query) {
      let tf = 0;
      for (const f of FIELDS) {
        const raw = it.tf[f].get(term);
        if (!raw) continue;
        tf += (WEIGHT[f] * raw) / (1 - B[f] + (B[f] * it.len[f]) / this.avgLen[f]);
      }
      if (tf === 0) continue;
      score += this.idf(term) * Math.sqrt(qtf) * ((tf * (K1 + 1)) / (tf + K1));
    }
    return score;
  }

  /** The BM25 of a document holding every query term once in a title of average length: the scale of "fully answered". */
  private selfScore(query: Map<string, number>): number {
    let score = 0;
    const tf = WEIGHT.title;
    for (const [term, qtf] of query) score += this.idf(term) * Math.sqrt(qtf) * ((tf * (K1 + 1)) / (tf + K1));
    return score;
  }

  search(query: string, queryVector: Float32Array, k: number): RunbookHit[] {
    if (this.items.length === 0 || k <= 0) return [];
    const terms = countTerms(analyze(query));
    const scale = this.selfScore(terms) * SELF_MATCH_SHARE;
    const hits = this.items.map((it) => {
      const lexical = scale > 0 ? Math.min(1, this.bm25(it, terms) / scale) : 0;
      const vector = Math.max(0, cosine(queryVector, it.doc.vector));
      const relevance = LEXICAL_SHARE * lexical + (1 - LEXICAL_SHARE) * vector;
      const similarity = Math.min(1, Math.max(0, relevance * (1 + 2 * PRIOR_SPAN * it.prior)));
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
