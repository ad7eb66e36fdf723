import { describe, expect, it } from "vitest";
import type { HistoryEntry, Incident } from "@ir/core";
import { appendHistory, MAX_RECURRENCES_KEPT } from "../src/history";

const at = (i: number) => new Date(Date.UTC(2031, 0, 1, 0, i)).toISOString();
const recurred = (i: number): HistoryEntry => ({ timestamp: at(i), event: "recurred", user: "system", alarm_id: `alm_${i}` });

describe("appendHistory", () => {
  it("keeps every other event and only the latest recurrences, in order", () => {
    let inc = { history: [{ timestamp: at(0), event: "created", user: "system", alarm_id: "alm_0" }] } as unknown as Incident;
    for (let i = 1; i <= MAX_RECURRENCES_KEPT + 3; i++) {
      inc = appendHistory(inc, recurred(i));
      if (i === 2) inc = appendHistory(inc, { timestamp: at(i), event: "comment_added", user: "ana", comment: "looking" });
    }
    const kept = inc.history.filter((h) => h.event === "recurred").map((h) => h.alarm_id);
    expect(kept).toEqual(Array.from({ length: MAX_RECURRENCES_KEPT }, (_, k) => `alm_${k + 4}`));
    expect(inc.history.map((h) => h.event).slice(0, 2)).toEqual(["created", "comment_added"]);
  });
});
