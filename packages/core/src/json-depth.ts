/**
 * How deep a JSON document may nest. Parsing is iterative in V8, but validating, copying and
 * re-serializing it (zod, spreads, JSON.stringify into the queue) recurse, so a 200 KB body of `[[[[…`
 * or `{"a":{"a":…` would overflow the stack into a 500. No source format we accept nests past ~10.
 */
export const MAX_JSON_DEPTH = 64;

/** One linear scan over the text, skipping string contents: cheap enough to run before every JSON.parse of input. */
export function jsonDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) { if (++depth > max) return true; }
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
