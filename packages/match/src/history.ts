import type { HistoryEntry, Incident } from "@ir/core";

/** A storm of duplicates must not grow the document without bound: keep the latest recurrences, all else. */
const MAX_RECURRENCES_KEPT = 20;

export function appendHistory(incident: Incident, entry: HistoryEntry): Incident {
  const history = [...incident.history, entry];
  if (entry.event === "recurred") {
    let recurred = 0;
    for (const h of history) if (h.event === "recurred") recurred++;
    if (recurred > MAX_RECURRENCES_KEPT) history.splice(history.findIndex((h) => h.event === "recurred"), 1);
  }
  return { ...incident, history };
}
