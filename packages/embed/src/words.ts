/**
 * Words of free text for embedding: identifiers split into the words people would search for
 * (NameSystem.addStoredBlock → name system add stored block; KubePodNotReady → kube pod not ready),
 * lower-cased, values dropped. A raw message and its masked form give the same words, so either
 * can be embedded.
 */

const CHUNK = /[A-Za-z0-9]+/g;
/** Boundaries inside identifiers: fooBar, HTTPServer. */
const CAMEL = /([a-z])([A-Z])|([A-Z])([A-Z][a-z])/g;
const PLACEHOLDERS = /<[a-z*]+>/g;
/** A name with an instance number (eth0, node12): the name is a word, the number a value. */
const NUMBERED = /^([A-Za-z]{2,})\d+$/;
const DIGIT = /\d/;

const undouble = (w: string): string => {
  const n = w.length;
  return n > 3 && w[n - 1] === w[n - 2] && !"lsz".includes(w[n - 1]) ? w.slice(0, -1) : w;
};

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
  else if (w.length > 4 && w.endsWith("ed") && !w.endsWith("eed")) w = undouble(w.slice(0, -2));
  else if (w.length > 5 && w.endsWith("ure")) w = w.slice(0, -3);
  else if (w.length > 5 && w.endsWith("ly")) w = w.slice(0, -2);
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

/** The lower-cased words of a text, identifiers split; values (placeholders, numbers, ids with digits) dropped. */
export function rawWords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.replace(PLACEHOLDERS, " ").matchAll(CHUNK)) {
    let chunk = m[0];
    if (DIGIT.test(chunk)) {
      const named = NUMBERED.exec(chunk);
      if (!named) continue;
      chunk = named[1];
    }
    for (const part of chunk.replace(CAMEL, "$1$3 $2$4").split(" ")) {
      if (part.length >= 2) out.push(part.toLowerCase());
    }
  }
  return out;
}
