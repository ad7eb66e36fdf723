/** Fitting free text (error messages, resolutions, recommendations) into the fixed sizes stores and receivers accept. */

const ELLIPSIS = "…";

/**
 * At most `max` UTF-16 units (what JSON limits and JS `length` count), ending in an ellipsis when cut,
 * never splitting a surrogate pair (half of one is not valid Unicode: JSON encoders escape it, Slack and
 * PagerDuty show a replacement character or reject the text).
 */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - ELLIPSIS.length);
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + ELLIPSIS;
};
