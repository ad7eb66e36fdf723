import { isKubernetesDraw, KUBERNETES_DIGITS, KUBERNETES_LETTERS } from "@ir/core";
/**
 * Parameterization of alarm and log text: the parts that change between two occurrences of the same
 * problem (ids, numbers, addresses, times, paths, quoted values) become typed placeholders, so that
 * equal problems give equal strings. The result is the dedup fingerprint and the input of template
 * mining, so it must be stable: the same shape of input always yields the same shape of output.
 *
 * Case is kept: upper and lower case often mark different emitters ("Machine State Register" and
 * "machine state register" come from different code), and the embedder lower-cases on its own.
 */

/** Every placeholder mask emits, and `<*>` (a position template mining found to vary). */
export const PLACEHOLDER = /^<(?:num|ip|host|mac|email|url|uuid|hash|hex|date|time|duration|path|str|id|\*)>$/;

export const isPlaceholder = (token: string): boolean => token.length > 2 && token[0] === "<" && PLACEHOLDER.test(token);

const MONTH = "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";
const WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?";
const CLOCK = "\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:\\s?[AaPp][Mm])?";
const ZONE = "(?:UTC|GMT|Z|[ECMPA][SD]T|CES?T|EES?T|WES?T|BST|IST|JST|KST|HKT|SGT|AES?T|AED?T|[+-]\\d{2}:?\\d{2})";

/**
 * Whole-text rewrites for values that span several whitespace-separated tokens or need context to be
 * recognized. Order matters: URLs and e-mails first (they contain everything else), then dates
 * (they contain clocks and numbers), then addresses.
 */
const TEXT_RULES: Array<[RegExp, string]> = [
  [/\b[A-Za-z][A-Za-z0-9+.-]{1,15}:\/\/[^\s"'<>()[\]{}]*[^\s"'<>()[\]{}.,;:!?]/g, "<url>"],
  // Bounded as the RFCs bound them (local part 64, label 63): unbounded, every start in a long run of these
  // characters scanned to its end for an "@", quadratic in the text (16 KB of "1-1-…" took 0.3 s).
  [/\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,63}\b/g, "<email>"],
  // ISO 8601 and its log-format cousins: 2024-02-12T10:30:00.123Z, 2024-02-12 10:30:00,123 +0100, 2024/02/12
  [new RegExp(`\\b\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}(?:[T\\s_]${CLOCK})?(?:\\s?${ZONE})?(?![\\w:])`, "g"), "<date>"],
  // Common Log Format: 10/Oct/2000:13:55:36 -0700
  [new RegExp(`\\b\\d{1,2}/${MONTH}/\\d{4}(?::\\d{2}:\\d{2}:\\d{2})?(?:\\s[+-]\\d{4})?`, "g"), "<date>"],
  // ctime / syslog / RFC 2822: Sat Jul  9 12:16:49 2005, Fri Jul 01 08:16:53 PDT 2005, Jun 14 15:16:01
  [new RegExp(`\\b(?:${WEEKDAY}\\s+)?${MONTH}\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?(?:\\s+\\d{4})?(?:\\s+${CLOCK})(?:\\s+${ZONE})?(?:\\s+\\d{4})?(?![\\w:])`, "g"), "<date>"],
  [new RegExp(`\\b(?:${WEEKDAY}\\s+)?\\d{1,2}\\s+${MONTH}\\.?,?\\s+\\d{4}(?:\\s+${CLOCK})?(?:\\s+${ZONE})?(?![\\w:])`, "g"), "<date>"],
  [new RegExp(`\\b${MONTH}\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}(?![\\w:])`, "g"), "<date>"],
  // US-style dates: 12/31/2024, 1/2/24
  [/\b\d{1,2}\/\d{1,2}\/(?:\d{4}|\d{2})(?![\w/])/g, "<date>"],
  // Bracketed IPv6 with an optional port: [2001:db8::1]:8080
  [/\[[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?:%\w+)?\](?::\d{1,5})?/g, "<ip>"],
  // IPv4 with an optional port, wherever it sits (key=value, brackets, host:port:suffix)
  // (not when it is the start of a host name such as 81.10.1.2.dsl.example.net)
  [/(?<![\w.-])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?::\d{1,5})?(?![\w-]|\.[\w-])/g, "<ip>"],
  // A number and its unit written apart: "30 seconds", "<1 sec", "5.2 KB" (units glued on are handled per token).
  [/(?<![\w.])[<>~]?[+-]?\d+(?:[.,]\d+)?\s?(?:ns|us|µs|ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?)\b(?![.:]\d)/g, "<duration>"],
  [/(?<![\w.])[<>~]?[+-]?\d+(?:[.,]\d+)?\s(?:[KMGTP]i?B|[KMGTP]|B)\b(?![.:]\d)/g, "<num>"],
  // Runs of dots are leaders or ellipses ("illegal instruction......0", "loop... done"), never part of a value.
  [/\.{3,}/g, " ... "],
];

/**
 * Quoted text: a bare word or dotted name inside quotes is usually a category worth keeping (reason
 * "CrashLoopBackOff", service 'org.example.BlockService'); anything else (spaces, digits, other
 * punctuation) is a value.
 * Quotes only count at token boundaries so apostrophes ("can't") are left alone.
 */
const QUOTED = /(^|[\s(\[{=:,])(["'`])([^"'`\n]{0,400}?)\2(?=$|[\s)\]},.;:!?])/g;
const BARE_WORD = /^[A-Za-z][A-Za-z_.-]{0,79}$/;

const maskQuoted = (_m: string, before: string, quote: string, body: string): string => {
  if (body === "" || BARE_WORD.test(body) || isPlaceholder(body)) return `${before}${quote}${body}${quote}`;
  return `${before}<str>`;
};

// Brackets and quotes around a value, but never the angle brackets of a placeholder already in place.
const LEAD = /^(?:[(\[{"'`]|<(?![a-z*]+>))+/;
const TRAIL = /(?:[)\]}"'`,;:.!?]|(?<!<[a-z*]+)>)+$/;

const TIME_UNITS = new Set(["ns", "us", "µs", "ms", "s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes", "h", "hr", "hrs", "hour", "hours", "d", "day", "days", "w", "wk", "weeks"]);

const NUMBER = /^[<>~]?[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][+-]?\d+)?(%|[A-Za-zµ]{1,7})?$/;
const COMPOUND_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w))+$/;
const CLOCK_TOKEN = /^\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HASH = /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$/;
const HEX_PREFIXED = /^0[xX][0-9a-fA-F]+$/;
const HEX_RUN = /^[0-9a-fA-F]{8,}$/;
const MAC = /^[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5,}$/;
const IPV6 = /^\[?(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?:%\w+)?\]?(?::\d{1,5})?$/;
const PATH = /^(?:\/|~\/|\.{1,2}\/|[A-Za-z]:\\|\\\\)[^\s]*$/;
/** "from /10.0.0.1" is an address written the Java way, not a path. */
const ROOTED_ADDRESS = /^\/<(?:ip|host)>$/;
const MULTI_SLASH = /^[^/\s]+(?:\/[^/\s]*){2,}$/;
/**
 * Host names are only recognized with a top-level domain people actually route to: dotted identifiers
 * such as `java.lang.NullPointerException` or `mapred.task.id` are code, not hosts, and must stay.
 */
const GENERIC_TLDS = "com|net|org|edu|gov|mil|int|info|biz|local|localdomain|internal|lan|intranet|corp|home|cloud|dev|app|xyz|site|online|tech|svc|cluster|arpa";
/** Country codes, except those that are also common words or member names in dotted code (x.id, a.is, b.in, c.to). */
const COUNTRY_TLD = /^(?!(?:id|is|in|it|to|do|no|so|be|me|my|on|or|as|am|an|if|of|up|go|re|ms|md|py|rs|sh|pl|pm|ps|ml|mm|ts|js|cc|cs|mk|ai|fm|tv)$)[a-z]{2}$/i;
const HOST_SHAPE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,63})\.?(?::\d{1,5})?$/;
const GENERIC_TLD = new RegExp(`^(?:${GENERIC_TLDS}|io|co|amazonaws)$`, "i");
const isHost = (core: string): boolean => {
  const m = HOST_SHAPE.exec(core);
  if (!m) return false;
  const tld = m[1];
  if (GENERIC_TLD.test(tld) || COUNTRY_TLD.test(tld)) return true;
  // A country code behind a registry's second level (example.edu.pl, example.co.uk) is a host even when it is also a file extension.
  return /^[a-z]{2}$/i.test(tld) && /\.(?:com|net|org|edu|gov|ac|co|or|ne|go)\.[a-z]{2}\.?(?::\d+)?$/i.test(core);
};
/** Alphanumeric runs and separator runs alternate, so a token splits one way only: no backtracking blow-up on "1-1-1-…". */
const HOST_PORT = /^(?:localhost|[A-Za-z0-9]+(?:[.-]+[A-Za-z0-9]+)+):\d{1,5}$/;
const HAS_DIGIT = /\d/;
const ALNUM_RUN = /[A-Za-z0-9µ]+|<(?:num|ip|host|mac|email|url|uuid|hash|hex|date|time|duration|path|str|id|\*)>/g;
const HEXISH = /^[0-9a-fA-F]+$/;
const HEX_LETTER = /[a-fA-F]/;

/** A whole token that is one recognizable value, or null. */
const entity = (core: string): string | null => {
  if (isPlaceholder(core)) return core;
  const digit = HAS_DIGIT.test(core);
  if (digit) {
    if (HEX_PREFIXED.test(core)) return "<hex>";
    const num = NUMBER.exec(core);
    if (num) {
      const unit = num[1];
      return unit && TIME_UNITS.has(unit) ? "<duration>" : "<num>";
    }
    if (COMPOUND_DURATION.test(core)) return "<duration>";
    if (CLOCK_TOKEN.test(core)) return "<time>";
    if (MAC.test(core)) return "<mac>";
    if (UUID.test(core)) return "<uuid>";
    if (HASH.test(core)) return "<hash>";
    if (HEX_RUN.test(core)) return "<hex>";
    if (core.includes(":") && IPV6.test(core) && (core.includes("::") || core.split(":").length >= 6)) return "<ip>";
  }
  if (core.length > 1 && PATH.test(core)) return ROOTED_ADDRESS.test(core) ? core.slice(1) : "<path>";
  if (core.includes(".") && isHost(core)) return "<host>";
  if (digit && HOST_PORT.test(core)) return "<host>";
  if (core.length > 4 && MULTI_SLASH.test(core) && (digit || /[._-]/.test(core))) return "<path>";
  return null;
};

/** One alphanumeric run inside a compound token ("blk", "_", "-123"): only runs with digits vary. */
const maskRun = (run: string): string => {
  if (run[0] === "<" || !HAS_DIGIT.test(run)) return run;
  if (/^\d+$/.test(run)) return "<num>";
  if (run.length >= 6 && HEXISH.test(run)) return "<hex>";
  // A name with an instance number (eth0, CPU3, SOCKS5, node12): the name is what it is, the number varies.
  const numbered = NUMBERED.exec(run);
  if (numbered) return `${numbered[1]}<num>`;
  return "<id>";
};
const NUMBERED = /^([A-Za-z]{2,})\d+$/;
/** The letters Kubernetes draws pod and ReplicaSet suffixes from (no vowels, no y): five of them are no word. */
const POD_SUFFIX = new RegExp(`^[${KUBERNETES_LETTERS}${KUBERNETES_DIGITS}]{5}$`);
/** A dash-joined name with such a draw and no digit (a DaemonSet's pod, fluentd-xkzqp): a word to a quick look. */
const POD_DRAW = new RegExp(`-[${KUBERNETES_LETTERS}]{5,10}(?![A-Za-z0-9])`);

/**
 * A dash-joined run that is a random draw though maskRun would keep it (as a word, or a name and a number): each
 * draw would be a fingerprint of its own. A Kubernetes pod's suffix has no digit one time in five
 * (payment-7d9f8b6c4-bcdfg, and a DaemonSet's fluentd-bcdfg), its hash one time in twenty
 * (payment-bcdfghjkl-x2k4q); the hex after a hex value may have no digit, or start with letters (9f8a1b2c-edee,
 * 9f8a1b2c-bae3); a last hex part with a digit that starts with a letter (web-fea12) is no name and number.
 */
const isRandomPart = (run: string, afterDash: boolean, last: boolean, afterValue: boolean): boolean => {
  if (!afterDash) return false;
  const hexLetters = HEXISH.test(run) && HEX_LETTER.test(run);
  if (afterValue && ((hexLetters && run.length >= 3) || (last && POD_SUFFIX.test(run)))) return true;
  if (isKubernetesDraw(run)) return true;
  return last && run.length >= 4 && hexLetters && HAS_DIGIT.test(run) && HEX_LETTER.test(run[0]);
};

/**
 * A token that is not one value as a whole: key=value pairs, identifiers with embedded numbers
 * (blk_-123, job_1234_x, broadcast_9_piece0, pod-7d9f8-x2k4q), mixed letters and digits (eth0).
 * The non-digit skeleton is kept, so `blk_<num>` still says what kind of id it was.
 */
const maskCompound = (core: string, depth = 0): string => {
  const eq = core.indexOf("=");
  if (eq > 0 && eq < core.length - 1) {
    // a=b=c=… nests one level per "=": past a few it is one value, not structure (and deep, it overflowed the stack).
    if (depth >= MAX_FIELD_DEPTH) return "<*>";
    return `${maskCompound(core.slice(0, eq), depth + 1)}=${maskToken(core.slice(eq + 1), depth + 1)}`;
  }
  let out = "";
  let last = 0;
  let onlyValues = true;
  let sawValue = false;
  let runs = 0;
  let previousValue = false;
  for (const m of core.matchAll(ALNUM_RUN)) {
    const start = m.index ?? 0;
    let sep = core.slice(last, start);
    const end = start + m[0].length;
    const masked = isRandomPart(m[0], sep === "-", end === core.length, previousValue) ? "<id>" : maskRun(m[0]);
    const value = isPlaceholder(masked);
    // "blk_-123" and "blk_123" are the same id kind: a sign glued to a separator is not structure.
    if (value && sep.length > 1 && sep.endsWith("-")) sep = sep.slice(0, -1);
    if (value) sawValue = true;
    else onlyValues = false;
    previousValue = value;
    out += sep + masked;
    last = end;
    runs += 1;
  }
  out += core.slice(last);
  // Nothing but values and punctuation (1514038440000##6993##548365, 0/0): one value, whatever its inner shape.
  if (sawValue && onlyValues && runs > 1) return "<*>";
  return out;
};

const FIELD_START = /^[A-Za-z_][\w.-]*=./;

const MAX_FIELD_DEPTH = 8;

const maskToken = (token: string, depth = 0): string => {
  if (token.length === 0) return token;
  // Plain words are the bulk of any message: skip all the checks below for them.
  if (!HAS_DIGIT.test(token) && !/[./\\<:=]/.test(token) && !POD_DRAW.test(token)) return token;
  if (isPlaceholder(token)) return token;
  const lead = LEAD.exec(token)?.[0] ?? "";
  let rest = token.slice(lead.length);
  const trail = TRAIL.exec(rest)?.[0] ?? "";
  rest = rest.slice(0, rest.length - trail.length);
  if (rest.length === 0) return token;
  // key=value: the key stays, the value is masked on its own ("path=/var/log/x" → "path=<path>").
  if (FIELD_START.test(rest)) return lead + maskCompound(rest, depth) + trail;
  const core = entity(rest) ?? (HAS_DIGIT.test(rest) || rest.includes("=") || POD_DRAW.test(rest) ? maskCompound(rest, depth) : rest);
  return lead + core + trail;
};

/**
 * Mask the variable parts of one message. Output: tokens joined by single spaces, runs of one repeated
 * masked token collapsed ("blk_<num> blk_<num> blk_<num>" is one list of any length).
 */
export function mask(text: string): string {
  let s = text;
  for (const [re, to] of TEXT_RULES) s = s.replace(re, to);
  s = s.replace(QUOTED, maskQuoted);
  const tokens = s.split(/\s+/);
  const out: string[] = [];
  for (const raw of tokens) {
    if (raw.length === 0) continue;
    const t = maskToken(raw);
    const prev = out[out.length - 1];
    if (prev !== undefined && prev === t && t.includes("<")) continue;
    out.push(t);
  }
  return out.join(" ");
}

