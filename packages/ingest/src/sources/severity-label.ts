import type { Severity } from "@ir/core";

/** The words tools and teams actually put in a `severity` label or tag, mapped onto our four levels. */
const LABELS: Record<string, Severity> = {
  critical: "CRITICAL",
  crit: "CRITICAL",
  fatal: "CRITICAL",
  emergency: "CRITICAL",
  // Prometheus rules often say who acts rather than how bad: "page" wakes someone, "ticket" waits for office hours.
  page: "CRITICAL",
  p1: "CRITICAL",
  sev1: "CRITICAL",
  high: "HIGH",
  error: "HIGH",
  major: "HIGH",
  urgent: "HIGH",
  p2: "HIGH",
  sev2: "HIGH",
  medium: "MEDIUM",
  moderate: "MEDIUM",
  warning: "MEDIUM",
  warn: "MEDIUM",
  minor: "MEDIUM",
  ticket: "MEDIUM",
  p3: "MEDIUM",
  sev3: "MEDIUM",
  low: "LOW",
  info: "LOW",
  informational: "LOW",
  notice: "LOW",
  none: "LOW",
  p4: "LOW",
  p5: "LOW",
  sev4: "LOW",
  sev5: "LOW",
};

/** Unknown or absent labels fall back rather than fail: a typo in a label must not drop a page. */
export const severityFromLabel = (label: string | undefined, fallback: Severity): Severity => {
  // "SEV-1", "sev 1" and "Sev_1" are one word.
  const word = label?.toLowerCase().replace(/[\s_-]+/g, "");
  // Own properties only: a label such as "constructor" or "__proto__" must not find Object.prototype's members.
  return word !== undefined && Object.hasOwn(LABELS, word) ? LABELS[word] : fallback;
};
