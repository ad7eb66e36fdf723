import { stem } from "@ir/core";
/**
 * Text analysis for runbook retrieval: the terms BM25 indexes and queries. Identifiers are split the
 * way people write them in prose (KubeStatefulSetReplicasMismatch → kube stateful set replicas
 * mismatch) and also kept whole (statefulset), because runbooks mix both spellings.
 */

/**
 * English function words. Words that carry state in alerts stay indexed even though generic stop lists
 * drop them: down, up, off, over, under, out, not, no, more, few, only, after, before.
 */
const STOP = new Set(
  "a about am an and are as at be because been being both but by can could did do does doing for from had has have having he her here hers herself him himself his how i if in is it its itself just me my myself of on or our ours own she should so such than that the their theirs them themselves then there these they this those to was we were what when where which who whom why will with would you your yours".split(" "),
);

const CHUNK = /[A-Za-z0-9]+/g;
const CAMEL = /([a-z])([A-Z])|([A-Z])([A-Z][a-z])/g;
const PLACEHOLDERS = /<[a-z*]+>/g;

const push = (out: string[], word: string): void => {
  if (word.length < 2 || /\d/.test(word) || STOP.has(word)) return;
  out.push(stem(word));
};

/**
 * Stemmed index terms of a text; numbers and anything holding a digit (ids, versions) are left out.
 * Split identifiers also yield their whole lower-cased form unless `joined` is false.
 */
export function analyze(text: string, joined = true): string[] {
  const out: string[] = [];
  for (const m of text.replace(PLACEHOLDERS, " ").matchAll(CHUNK)) {
    const chunk = m[0];
    const split = chunk.replace(CAMEL, "$1$3 $2$4");
    if (split === chunk) {
      push(out, chunk.toLowerCase());
      continue;
    }
    for (const part of split.split(" ")) push(out, part.toLowerCase());
    if (joined) push(out, chunk.toLowerCase());
  }
  return out;
}

/**
 * Adjacent pairs of content words ("kube proxy", "request namespace"): phrases tell apart runbooks
 * that share every word ("requests for Pods" vs "requests for Namespaces"). Sentence ends break pairs.
 */
export function phrases(text: string): string[] {
  const out: string[] = [];
  for (const sentence of text.split(/[.!?;:\n]+(?:\s|$)|\n/)) {
    const words = analyze(sentence, false);
    for (let i = 1; i < words.length; i++) out.push(`${words[i - 1]} ${words[i]}`);
  }
  return out;
}

/** Unigrams and phrases together: the full set of BM25 terms of a text. */
export function terms(text: string): string[] {
  return [...analyze(text), ...phrases(text)];
}

/**
 * Alert wording and runbook naming disagree in predictable ways ("has disappeared" / "Down", "is
 * elevated" / "High", "failing" / "Errors"). Each stemmed query word on the left also counts, at
 * reduced weight, as the runbook-vocabulary words on the right. Generic SRE vocabulary only.
 */
const SYNONYMS = new Map<string, string[]>(Object.entries({
  unreachabl: ["down"],
  unavailabl: ["down"],
  disappear: ["down"],
  offlin: ["down"],
  dead: ["down"],
  outag: ["down"],
  elevat: ["high"],
  increas: ["high"],
  excessiv: ["high"],
  spik: ["high"],
  exceed: ["high", "exceed"],
  fail: ["error"],
  error: ["fail"],
  exception: ["error"],
  exhaust: ["full"],
  slow: ["latency"],
  delay: ["latency"],
  expir: ["expiration"],
  expiry: ["expiration"],
  crash: ["restart"],
  oom: ["memory"],
}));

/** Query-side expansion: the extra terms a query's words imply, each once. */
export function expand(queryTerms: Iterable<string>): string[] {
  const have = new Set(queryTerms);
  const out = new Set<string>();
  // A Map, not an object: alert words such as "constructor" must not find Object.prototype's members.
  for (const t of have) for (const s of SYNONYMS.get(t) ?? []) if (!have.has(s)) out.add(s);
  return [...out];
}
