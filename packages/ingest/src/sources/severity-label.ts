import type { Severity } from "@ir/core";

/** The words tools and teams actually put in a `severity` label or tag, mapped onto our four levels. */
const LABELS: Record<string, Severity> = {
  critical: "CRITICAL",
  crit: "CRITICAL",
  fatal: "CRITICAL",
  emergency: "CRITICAL",
  high: "HIGH",
  error: "HIGH",
  major: "HIGH",
  medium: "MEDIUM",
  warning: "MEDIUM",
  warn: "MEDIUM",
  minor: "MEDIUM",
  low: "LOW",
  info: "LOW",
  informational: "LOW",
};

/** Unknown or absent labels fall back rather than fail: a typo in a label must not drop a page. */
export const severityFromLabel = (label: string | undefined, fallback: Severity): Severity => {
  const word = label?.trim().toLowerCase();
  // Own properties only: a label such as "constructor" or "__proto__" must not find Object.prototype's members.
  return word !== undefined && Object.hasOwn(LABELS, word) ? LABELS[word] : fallback;
};
