import { isIsoTimestamp } from "@ir/core";

const SHAPE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;

/**
 * CloudWatch writes `2019-10-02T17:04:40.985+0000`, which is not ISO 8601 extended format and fails our
 * `occurred_at` schema; Go (Alertmanager) writes nanoseconds and `0001-01-01T00:00:00Z` for "never".
 * Returns an ISO timestamp with an explicit offset, or undefined for anything absent or unusable, so a
 * bad clock field never costs an alarm.
 */
export const toIsoTimestamp = (value: unknown): string | undefined => {
  if (typeof value !== "string") return undefined;
  const match = SHAPE.exec(value.trim());
  if (!match) return undefined;
  const [, date, hoursMinutes, seconds = ":00", offset = "Z"] = match;
  const zone = offset.toUpperCase() === "Z" ? "Z" : offset.includes(":") ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const iso = `${date}T${hoursMinutes}${seconds}${zone}`;
  const ms = Date.parse(iso);
  // Go's zero time means "not set", not the year 1. Date.parse takes 2024-02-30 and 24:00, which the alarm
  // schema refuses: accepted here, such an alarm would be dead-lettered after its 202.
  if (Number.isNaN(ms) || ms <= 0 || !isIsoTimestamp(iso)) return undefined;
  return iso;
};
