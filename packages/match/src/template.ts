import { looksDrawn, setBounded } from "@ir/core";

/**
 * Drain-style template matching over masked messages (tokens joined by single spaces, values already
 * replaced by placeholders such as `<num>`, `<ip>`, `<*>`).
 *
 * Equal-length messages are compared position by position, as Drain does; messages of different
 * lengths (an optional value, a list of varying size, a timestamp prefix) are aligned first, so one
 * inserted token costs one position instead of shifting every later one, and an inserted value
 * costs nothing while an inserted word costs as much as a differing one.
 *
 * The weights encode one observation about logs and alerts: true variables carry digits, dots or
 * slashes and are already masked, so two *different literal words* in one position almost always mean
 * two different events ("stored as bytes" vs "stored as values", "sync enabled" vs "sync disabled"),
 * while a literal word against a value is usually a variable seen for the first time.
 */

/** The placeholders mask emits (and `<*>`); anything else in angle brackets is text. */
const NAMES = "num|ip|host|mac|email|url|uuid|hash|hex|date|time|duration|path|str|id|\\*";
const PLACEHOLDER = new RegExp(`^<(?:${NAMES})>$`);
const PLACEHOLDER_IN = new RegExp(`<(?:${NAMES})>`, "g");
const WILDCARD = "<*>";
const VALUE_ONLY = /^[^A-Za-z0-9]*(?:<\*>[^A-Za-z0-9]*)+$/;

/**
 * A value against a literal word. Drain gives no credit (a template that is mostly wildcards must not
 * attract everything of its length); a little keeps "user <*>" close to "user bob".
 */
const VALUE_VS_WORD = 0.25;
/** A value against an identifier with variable parts (`<*>` vs blk_<num>): nearly the same thing. */
const VALUE_VS_IDENT = 0.75;
/** Different literal words cost more than an empty position: a differing word marks a different event. */
const WORD_MISMATCH = 2;
/** An unaligned word (one message has it, the other not) costs the same; an unaligned value costs nothing. */
const WORD_GAP = 2;

/** What a token is: a value (placeholder, maybe with punctuation), an identifier with variable parts, or a literal word. */
const Kind = { Value: 0, Ident: 1, Word: 2 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/**
 * Nouns whose next word names a person or account ("for user alice", "account billing"): that word is
 * a value even without digits. Kept to the one slot that is near-universal in logs and alerts.
 */
const SLOT = /^(?:user|username|account|principal|owner)[:=]?$/i;
const FIELD = /^([A-Za-z_][\w.-]*[=:])(.+)$/;

interface Tok {
  kind: Kind;
  /** Comparison key: placeholders lose their type ("req-<hex>" ~ "req-<num>"). */
  key: string;
  text: string;
  /** Follows a slot noun, so a differing word here is a differing value. */
  slot: boolean;
  /** For key=value and key:value tokens: "key=", so two fields compare by their values. */
  field: string | null;
  /** The kind of the value part of a field. */
  fieldValue: Kind;
  /** The key cut at separators (see fitsShape), made when first needed. */
  shape: string[] | undefined;
}

const kindOf = (key: string, hasPlaceholder: boolean): Kind => {
  if (key === WILDCARD || (hasPlaceholder && VALUE_ONLY.test(key))) return Kind.Value;
  return hasPlaceholder ? Kind.Ident : Kind.Word;
};

const toTokens = (s: string): Tok[] => {
  const out: Tok[] = [];
  for (const text of s.split(" ")) {
    if (text.length === 0) continue;
    const bare = text[0] === "<" && PLACEHOLDER.test(text);
    const hasPlaceholder = bare || text.includes("<");
    const key = bare ? WILDCARD : hasPlaceholder ? text.replace(PLACEHOLDER_IN, WILDCARD) : text;
    const kind = kindOf(key, hasPlaceholder);
    const prev = out[out.length - 1];
    const slot = prev !== undefined && prev.kind === Kind.Word && SLOT.test(prev.key);
    const f = kind === Kind.Value ? null : FIELD.exec(key);
    const fieldValue = f ? kindOf(f[2], f[2].includes(WILDCARD)) : Kind.Word;
    out.push({ kind, key, text, slot, field: f ? f[1] : null, fieldValue, shape: undefined });
  }
  return out;
};

/**
 * Tokens of messages and templates compared lately, shared (read-only but for the `shape` each fills in once):
 * a decision compares one alarm with up to ten candidates, and a storm compares every alarm with the same few
 * incidents' templates.
 */
const tokenCache = new Map<string, Tok[]>();
const TOKEN_CACHE_MAX = 2048;
const tokensOf = (s: string): Tok[] => tokenCache.get(s) ?? setBounded(tokenCache, s, toTokens(s), TOKEN_CACHE_MAX);

/**
 * A word against a different word or identifier: a value if it follows a slot noun, else evidence of
 * another event. Even "failure" against "failures" counts: logs word singular and plural differently
 * on purpose often enough ("1 more failure" and "2 more failures" are separate LogHub events).
 */
const wordsDiffer = (a: Tok, b: Tok): number => (a.slot && b.slot ? VALUE_VS_WORD : -WORD_MISMATCH);

const credit = (a: Tok, b: Tok): number => {
  if (a.kind === Kind.Value || b.kind === Kind.Value) {
    if (a.kind === b.kind) return 1;
    return a.kind === Kind.Ident || b.kind === Kind.Ident ? VALUE_VS_IDENT : VALUE_VS_WORD;
  }
  if (a.key === b.key) return 1;
  if (a.field !== null && a.field === b.field) {
    const va = a.fieldValue !== Kind.Word;
    const vb = b.fieldValue !== Kind.Word;
    if (va && vb) return 1;
    if (va || vb) return VALUE_VS_WORD;
    return -WORD_MISMATCH;
  }
  // Two identifiers of different shapes (rdd_<num>_<num>, broadcast_<num>): no evidence either way.
  if (a.kind === Kind.Ident && b.kind === Kind.Ident) return 0;
  // A word of an identifier's shape is that identifier with a value mask could not tell from a word (the
  // random part of a pod name, web-bcaaa, can be all letters): against web-<*> it is a value, not another event.
  if (fittingIdent(a, b)) return VALUE_VS_IDENT;
  return wordsDiffer(a, b);
};

/** Separators, kept when splitting: `web-<*>)` → web, -, <*>, ). */
const SEPARATORS = /([^A-Za-z0-9<>*]+)/;
/**
 * The word has the identifier's parts, with a random-looking run in place of each of its values: web-bcaaa fits
 * web-<*>, web-frontend does not. Part by part, in one pass: a pattern match could backtrack for ever on a long word.
 */
const fitsShape = (ident: Tok, word: Tok): boolean => {
  const want = (ident.shape ??= ident.key.split(SEPARATORS));
  // Most words differ at an end: no need to cut them.
  const first = want[0];
  const last = want[want.length - 1];
  if ((first !== WILDCARD && !word.key.startsWith(first)) || (last !== WILDCARD && !word.key.endsWith(last))) return false;
  const got = (word.shape ??= word.key.split(SEPARATORS));
  if (got.length !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i] && !(want[i] === WILDCARD && looksDrawn(got[i]))) return false;
  return true;
};

/** Of an identifier and a word that fits its shape, the identifier; null for any other pair. */
const fittingIdent = (a: Tok, b: Tok): Tok | null => {
  if (a.kind === Kind.Ident && b.kind === Kind.Word) return fitsShape(a, b) ? a : null;
  if (b.kind === Kind.Ident && a.kind === Kind.Word) return fitsShape(b, a) ? b : null;
  return null;
};

const gapCost = (t: Tok): number => (t.kind === Kind.Value ? 0 : WORD_GAP);

/**
 * Past this many cells (two messages of ~2,000 tokens each) messages are compared position by position: the table
 * grows with the product of their lengths, and two 16,000-character messages of one-letter words would need 512 MB.
 */
export const MAX_ALIGN_CELLS = 1 << 22;
const alignable = (a: Tok[], b: Tok[]): boolean => (a.length + 1) * (b.length + 1) <= MAX_ALIGN_CELLS;

/** Reused by every alignment (they are synchronous): a fresh table per comparison was most of what one allocated. */
let cells = new Float64Array(1024);
/** A table for two long messages is made for them alone, not kept. */
const CELLS_KEPT = 1 << 16;

/**
 * Alignment table (global alignment, scores as above); cell [i][j] is the best score of a[i:] against b[j:].
 * Valid until the next call.
 */
const alignTable = (a: Tok[], b: Tok[]): Float64Array => {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const size = (n + 1) * w;
  if (size > cells.length && size <= CELLS_KEPT) cells = new Float64Array(Math.min(2 * size, CELLS_KEPT));
  const t = size <= cells.length ? cells : new Float64Array(size);
  t[n * w + m] = 0;
  for (let i = n - 1; i >= 0; i--) t[i * w + m] = t[(i + 1) * w + m] - gapCost(a[i]);
  for (let j = m - 1; j >= 0; j--) t[n * w + j] = t[n * w + j + 1] - gapCost(b[j]);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const diag = t[(i + 1) * w + j + 1] + credit(a[i], b[j]);
      const skipA = t[(i + 1) * w + j] - gapCost(a[i]);
      const skipB = t[i * w + j + 1] - gapCost(b[j]);
      t[i * w + j] = Math.max(diag, skipA, skipB);
    }
  }
  return t;
};

/**
 * Words that must agree for two messages to be one event, whatever the rest says:
 * - the leading words, as in Drain's parse tree: a message's first words name its subject
 *   ("Dentry cache ..." vs "Inode-cache ...", "DHCPOFFER on ..." vs "DHCPACK on ...");
 * - the value of a field spelled as a word (state=OK vs state=ALARM, user=root vs user=guest): a
 *   labelled word is a category, not an identifier.
 */
const ANCHORS = 2;
const VETO = 0.5;
const conflict = (a: Tok, b: Tok): boolean => a.kind === Kind.Word && b.kind === Kind.Word && a.key !== b.key && !(a.slot && b.slot);
const fieldConflict = (a: Tok, b: Tok): boolean => conflict(a, b) && a.field !== null && a.field === b.field;

const vetoed = (a: Tok[], b: Tok[]): boolean => {
  for (let i = 0; i < ANCHORS && i < a.length && i < b.length; i++) if (conflict(a[i], b[i])) return true;
  if (a.length === b.length) for (let i = 0; i < a.length; i++) if (fieldConflict(a[i], b[i])) return true;
  return false;
};

const dropLeadingValues = (t: Tok[]): Tok[] => {
  let i = 0;
  while (i < t.length - 1 && t[i].kind === Kind.Value) i++;
  return i === 0 ? t : t.slice(i);
};

const similarityOf = (a: Tok[], b: Tok[]): number => {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return n === m ? 1 : 0;
  if (n !== m) {
    // A prefix of values (timestamp, request id) that one sender adds and another does not is not
    // part of the message: compare what follows it.
    const ta = dropLeadingValues(a);
    const tb = dropLeadingValues(b);
    if (ta.length !== n || tb.length !== m) return similarityOf(ta, tb);
  }
  let score: number;
  if (n === m || !alignable(a, b)) {
    score = 0;
    for (let i = 0; i < Math.min(n, m); i++) score += credit(a[i], b[i]);
    for (let i = m; i < n; i++) score -= gapCost(a[i]);
    for (let j = n; j < m; j++) score -= gapCost(b[j]);
  } else score = alignTable(a, b)[0];
  const sim = Math.max(0, score) / Math.max(n, m);
  return vetoed(a, b) ? sim * VETO : sim;
};

/**
 * How alike two masked messages (or templates) are, 0..1: the share of positions that agree, where
 * values agree with values, barely with words, and differing words count against.
 */
export function templateSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  return similarityOf(tokensOf(a), tokensOf(b));
}

/** The literal (non-value) tokens of a message, sorted: equal for two messages that differ only in order and values. */
const wordBag = (tokens: Tok[]): string =>
  tokens
    .filter((t) => t.kind !== Kind.Value)
    .map((t) => t.key)
    .sort()
    .join(" ");

/**
 * Whether two masked messages say the same words in a different order (logfmt fields whose order
 * follows a hash map, a reworded alarm title): the only case where a vector match may merge what
 * the positional template comparison keeps apart.
 */
export function sameWords(a: string, b: string): boolean {
  return wordBag(tokensOf(a)) === wordBag(tokensOf(b));
}

const mergeToken = (a: Tok, b: Tok): string => {
  if (a.text === b.text) return a.text;
  if (a.kind !== Kind.Value && b.kind !== Kind.Value && a.key === b.key) return a.key;
  if (a.field !== null && a.field === b.field) return `${a.field}${WILDCARD}`;
  // web-<id> and web-bcaaa: still a web- pod.
  return fittingIdent(a, b)?.key ?? WILDCARD;
};

/** Runs of wildcards say no more than one wildcard. */
const collapse = (tokens: string[]): string[] => tokens.filter((t, i) => !(t === WILDCARD && tokens[i - 1] === WILDCARD));

/**
 * The template covering both: agreeing positions are kept, differing ones become `<*>`. For different
 * lengths, tokens are aligned first and each unaligned stretch becomes a single `<*>`.
 */
export function mergeTemplate(a: string, b: string): string {
  if (a === b) return a;
  const ta = tokensOf(a);
  const tb = tokensOf(b);
  if (ta.length === tb.length) return collapse(ta.map((t, i) => mergeToken(t, tb[i]))).join(" ");
  if (!alignable(ta, tb)) {
    const shorter = ta.length < tb.length ? ta : tb;
    return collapse([...shorter.map((_, i) => mergeToken(ta[i], tb[i])), WILDCARD]).join(" ");
  }
  const table = alignTable(ta, tb);
  const w = tb.length + 1;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  let gap = false;
  while (i < ta.length && j < tb.length) {
    const here = table[i * w + j];
    if (here === table[(i + 1) * w + j + 1] + credit(ta[i], tb[j])) {
      if (gap) out.push(WILDCARD);
      gap = false;
      out.push(mergeToken(ta[i], tb[j]));
      i++;
      j++;
    } else if (here === table[(i + 1) * w + j] - gapCost(ta[i])) {
      gap = true;
      i++;
    } else {
      gap = true;
      j++;
    }
  }
  if (gap || i < ta.length || j < tb.length) out.push(WILDCARD);
  return collapse(out).join(" ");
}
