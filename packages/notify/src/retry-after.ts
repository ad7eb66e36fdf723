/**
 * Milliseconds a receiver asked us to wait (RFC 9110 Retry-After: delta-seconds or an HTTP-date), or null
 * when the header is absent or unreadable. `now` comes from the ports clock, so dates are testable.
 */
export const parseRetryAfter = (value: string | null | undefined, now: Date): number | null => {
  const raw = value?.trim();
  if (!raw) return null;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(raw)) return null;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
};
