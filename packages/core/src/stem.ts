/** Shared by embedding and runbook retrieval, so both meet "fails", "failed" and "failing" the same way. */

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
