/** Fitting free text (error messages, resolutions) into the fixed sizes receivers accept. */

const ELLIPSIS = "…";

/**
 * At most `max` UTF-16 units (what JSON limits and JS `length` count), ending in an ellipsis when cut,
 * never splitting a surrogate pair.
 */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - ELLIPSIS.length);
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + ELLIPSIS;
};

/** Whitespace and line breaks collapsed: headlines and push notifications show one line. */
export const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim();

/** The first line that says something, for a headline. */
export const firstLine = (text: string): string => oneLine(text.split(/\r?\n/).find((l) => l.trim() !== "") ?? text);
