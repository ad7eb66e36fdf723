import * as z from "zod";

export const SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export const maxSeverity = (a: Severity, b: Severity): Severity => (severityRank(a) >= severityRank(b) ? a : b);

/** A regression is worse news than the first occurrence: one level up, and never below HIGH. */
export const escalateForRegression = (s: Severity): Severity =>
  maxSeverity("HIGH", SEVERITIES[Math.min(severityRank(s) + 1, SEVERITIES.length - 1)]);
