import type { HistoryEntry, Incident } from "@ir/core";

/**
 * A storm of duplicates must not grow the document without bound: keep the latest recurrences, all else.
 * Every recurrence rewrites the document, so this sets most of its cost: at 5, a typical incident is ~3.5 KB
 * and fits one SQLite page; at 20 it was ~6 KB over two, and its writes were an eighth of the deciding
 * thread's time. `occurrences` counts them all, and each alarm's own outcome stays at GET /api/v1/alarms/{id}.
 */
export const MAX_RECURRENCES_KEPT = 5;

export function appendHistory(incident: Incident, entry: HistoryEntry): Incident {
  const history = [...incident.history, entry];
  if (entry.event === "recurred") {
    let recurred = 0;
    for (const h of history) if (h.event === "recurred") recurred++;
    if (recurred > MAX_RECURRENCES_KEPT) history.splice(history.findIndex((h) => h.event === "recurred"), 1);
  }
  return { ...incident, history };
}
