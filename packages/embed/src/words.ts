/**
 * Words of free text for retrieval: identifiers split into the words people would search for
 * (NameSystem.addStoredBlock → name system add stored block; KubePodNotReady → kube pod not ready),
 * lower-cased, stop words dropped, lightly stemmed. Shared by the hashing embedder and the runbook
 * ranker so a query and a document are cut the same way.
 */

const STOP = new Set(
  "a an and are as at be been being but by can could did do does for from had has have having he her his i if in into is it its itself may might me my no nor not of on or our out over own same she should so some such than that the their them then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your".split(" "),
);
/** Negations carry meaning in alerts ("not ready", "no space left"): they are kept despite being short function words. */
const KEEP = new Set(["not", "no", "nor"]);

const SPLIT = /[^A-Za-z0-9]+/;
/** Boundaries inside identifiers: fooBar, HTTPServer, v2Api. */
const CAMEL = /([a-z])([A-Z])|([A-Z])([A-Z][a-z])|([A-Za-z])(\d)|(\d)([A-Za-z])/g;
const PLACEHOLDERS = /<[a-z*]+>/g;

/**
 * A light suffix stripper (a small subset of Porter's step 1): enough to meet "fails", "failed",
 * "failing" and "failure" in one stem without the over-stemming of the full algorithm.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.endsWith("s") && !w.endsWith("ss") && !w.endsWith("us") && !w.endsWith("is")) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith("ing")) w = undouble(w.slice(0, -3));
  else if (w.length > 4 && w.endsWith("ed")) w = undouble(w.slice(0, -2));
  else if (w.length > 5 && w.endsWith("ure")) w = w.slice(0, -3);
  else if (w.length > 5 && w.endsWith("ly")) w = w.slice(0, -2);
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

const undouble = (w: string): string => {
  const n = w.length;
  return n > 3 && w[n - 1] === w[n - 2] && !"lsz".includes(w[n - 1]) ? w.slice(0, -1) : w;
};

/** The lower-cased words of a text, identifiers split, values (placeholders, numbers, ids with digits) dropped. */
export function rawWords(text: string): string[] {
  const out: string[] = [];
  for (const chunk of text.replace(PLACEHOLDERS, " ").split(SPLIT)) {
    if (chunk.length === 0) continue;
    if (/\d/.test(chunk) && !/^[A-Za-z]+\d?$/.test(chunk) && chunk.replace(/\D/g, "").length > 1) continue;
    for (const part of chunk.replace(CAMEL, "$1$3$5$7 $2$4$6$8").split(" ")) {
      if (part.length < 2 || /^\d+$/.test(part)) continue;
      out.push(part.toLowerCase());
    }
  }
  return out;
}

/** Stemmed content words: what both the embedder and BM25 index. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const w of rawWords(text)) {
    if (STOP.has(w) && !KEEP.has(w)) continue;
    out.push(stem(w));
  }
  return out;
}
