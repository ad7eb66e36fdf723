import { stem } from "@ir/core";
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
