import { truncate } from "@ir/core";
/**
 * The parts of a markdown runbook that retrieval and recommendation care about: its title, the
 * section that describes what the alert looks like (symptoms), the rest, and a short solution.
 */

export interface RunbookSections {
  title: string;
  /** Each spelling of the name (given title, front-matter title, level-1 headings), kept apart so no word pair spans two. */
  titles: string[];
  symptoms: string;
  body: string;
}

/** Headings whose section describes the problem as the alert shows it. */
const SYMPTOM_HEADING = /symptom|meaning|description|overview|summary|signs?\b|what (?:it|this) means|alert|problem|context/i;
/** Headings whose section says what to do about it, best first. */
const SOLUTION_HEADINGS = [/resolution|remediation|mitigation|\bfix|solution|resolve/i, /recovery|workaround|action|steps|what to do|runbook/i];
const MAX_SOLUTION = 300;

interface Section {
  heading: string;
  level: number;
  text: string;
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;
/** HTML that markdown runbooks embed (<details>, <summary>Full context</summary>): markup, not words. */
const HTML_TAG = /<\/?[A-Za-z][^>\n]*>/g;

const sectionsOf = (markdown: string): { front: string; sections: Section[] } => {
  const fm = FRONT_MATTER.exec(markdown);
  const front = fm ? fm[1] : "";
  const rest = (fm ? markdown.slice(fm[0].length) : markdown).replace(HTML_TAG, " ");
  const sections: Section[] = [{ heading: "", level: 0, text: "" }];
  let fence = false;
  for (const line of rest.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const h = fence ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) sections.push({ heading: h[2], level: h[1].length, text: "" });
    else sections[sections.length - 1].text += `${line}\n`;
  }
  return { front, sections };
};

/** Split a runbook into the three BM25 fields. */
export function splitRunbook(title: string, markdown: string): RunbookSections {
  const { front, sections } = sectionsOf(markdown);
  const titles = [title];
  const fmTitle = /^title:\s*["']?(.*?)["']?\s*$/m.exec(front);
  if (fmTitle) titles.push(fmTitle[1]);
  const fmTags = /^tags:\s*\[?(.*?)\]?\s*$/m.exec(front);
  const symptoms: string[] = [];
  const body: string[] = fmTags ? [fmTags[1]] : [];
  for (const s of sections) {
    if (s.level === 1) titles.push(s.heading);
    if (s.level > 1 && SYMPTOM_HEADING.test(s.heading)) symptoms.push(s.heading, s.text);
    else body.push(s.level > 1 ? s.heading : "", s.text);
  }
  // Without a recognizable symptoms section, the text before the first sub-heading is the description.
  if (symptoms.length === 0) {
    const intro = sections.filter((s) => s.level <= 1).map((s) => s.text);
    symptoms.push(...intro);
  }
  const distinct = [...new Set(titles)];
  return { title: distinct.join(" "), titles: distinct, symptoms: symptoms.join("\n"), body: body.join("\n") };
}

const plain = (md: string): string =>
  md
    .replace(/<[^>]+>/g, " ")
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`>]+/g, "")
    .replace(/^\s*(?:[-+]|\d+\.)\s+/gm, "")
    .replace(/\s+/g, " ")
    .trim();

/** The first sentences of `text` that fit in `max` characters (or the first one cut at a word, if even it is too long). */
const firstSentences = (text: string, max: number): string => {
  if (text.length <= max) return text;
  let out = "";
  for (const sentence of text.split(/(?<=[.!?])\s+/)) {
    const next = out ? `${out} ${sentence}` : sentence;
    if (next.length > max) break;
    out = next;
  }
  if (out.length > 0) return out;
  // Cut at a word, never inside a surrogate pair (truncate), then the ellipsis again.
  return `${truncate(text, max).slice(0, -1).replace(/\s+\S*$/, "")}…`;
};

/**
 * A short answer to "what do I do": the start of the Resolution / Remediation / Mitigation section,
 * else the first paragraph, at most 300 characters.
 */
export function solutionExcerpt(markdown: string): string {
  const { sections } = sectionsOf(markdown);
  for (const pattern of SOLUTION_HEADINGS) {
    const s = sections.find((x) => x.level > 0 && pattern.test(x.heading) && plain(x.text).length > 0);
    if (s) return firstSentences(plain(s.text), MAX_SOLUTION);
  }
  for (const s of sections) {
    const para = s.text.split(/\n\s*\n/).map(plain).find((p) => p.length > 0);
    if (para) return firstSentences(para, MAX_SOLUTION);
  }
  return "";
}

/**
 * What a recommendation writer needs of a runbook: its Resolution / Remediation / Mitigation section as
 * plain text (else the whole runbook), at most `max` characters — the steps, not the preamble.
 */
export function resolutionText(markdown: string, max: number): string {
  const { sections } = sectionsOf(markdown);
  for (const pattern of SOLUTION_HEADINGS) {
    const s = sections.find((x) => x.level > 0 && pattern.test(x.heading) && plain(x.text).length > 0);
    if (s) return plain(s.text).slice(0, max);
  }
  return plain(markdown).slice(0, max);
}
