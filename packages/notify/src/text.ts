/** Fitting free text (error messages, resolutions) into the fixed sizes receivers accept. */

/** One helper for every clip in the codebase (enrich, notify): it never splits a surrogate pair. */
export { truncate } from "@ir/core";

/** Whitespace and line breaks collapsed: headlines and push notifications show one line. */
export const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim();

/** The first line that says something, for a headline. */
export const firstLine = (text: string): string => oneLine(text.split(/\r?\n/).find((l) => l.trim() !== "") ?? text);
