import { describe, expect, it } from "vitest";
import { STAGES, type Change, type Incident, type Severity } from "@ir/core";
import { DEFAULT_RULES, decide, inheritState, initialState, type NoticeContext, type NotifyState } from "../src/policy";
import { incident } from "./fakes";

interface Step {
  /** Minutes after the first step. */
  at: number;
  changes: Change[];
  incident?: Partial<Incident>;
  expect: Change[];
  context?: Partial<NoticeContext>;
}

const T0 = Date.parse("2024-02-12T10:00:00Z");

const play = (steps: Step[], minSeverity: Severity = "LOW") => {
  let state: NotifyState = initialState();
  return steps.map((step, n) => {
    // As in the pipeline, an incident that regresses after its resolve is a new incident, whose state starts from its predecessor's.
    if (step.changes.includes("regressed") && state.phase === "resolved") state = inheritState(state);
    const result = decide(state, `evt_${n}`, step.changes, incident(step.incident), new Date(T0 + step.at * 60_000), { ...DEFAULT_RULES, minSeverity });
    state = result.state;
    return { notify: result.notify, context: result.context };
  });
};

const cases: Array<{ name: string; minSeverity?: Severity; steps: Step[] }> = [
  {
    name: "a new incident is announced once, its duplicates are not",
    steps: [
      { at: 0, changes: ["opened"], expect: ["opened"] },
      { at: 1, changes: ["recurred"], incident: { occurrences: 2 }, expect: [] },
      { at: 5, changes: ["recurred"], incident: { occurrences: 40 }, expect: [] },
      { at: 6, changes: ["opened"], incident: { occurrences: 41 }, expect: [] },
    ],
  },
  {
    name: "duplicates give at most one 'N more occurrences' update per 30 minutes",
    steps: [
      { at: 0, changes: ["opened"], expect: ["opened"] },
      { at: 10, changes: ["recurred"], incident: { occurrences: 4 }, expect: [] },
      { at: 31, changes: ["recurred"], incident: { occurrences: 9 }, expect: ["recurred"], context: { new_occurrences: 8 } },
      { at: 45, changes: ["recurred"], incident: { occurrences: 10 }, expect: [] },
      { at: 62, changes: ["recurred"], incident: { occurrences: 12 }, expect: ["recurred"], context: { new_occurrences: 3 } },
    ],
  },
  {
    name: "an update needs new occurrences, not only time",
    steps: [
      { at: 0, changes: ["opened"], incident: { occurrences: 3 }, expect: ["opened"] },
      { at: 40, changes: ["recurred"], incident: { occurrences: 3 }, expect: [] },
    ],
  },
  {
    name: "an escalation is announced once per higher severity",
    steps: [
      { at: 0, changes: ["opened"], incident: { severity: "MEDIUM" }, expect: ["opened"] },
      { at: 5, changes: ["recurred", "escalated"], incident: { severity: "HIGH", occurrences: 2 }, expect: ["escalated"], context: { previous_severity: "MEDIUM" } },
      { at: 6, changes: ["escalated"], incident: { severity: "HIGH", occurrences: 3 }, expect: [] },
      { at: 7, changes: ["escalated"], incident: { severity: "CRITICAL", occurrences: 4 }, expect: ["escalated"], context: { previous_severity: "HIGH" } },
    ],
  },
  {
    name: "a resolution goes out once, and a regression of the same incident is announced again",
    steps: [
      { at: 0, changes: ["opened"], expect: ["opened"] },
      { at: 10, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["resolved"] },
      { at: 11, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: [] },
      { at: 60, changes: ["regressed"], expect: ["regressed"] },
    ],
  },
  {
    name: "below min_severity nothing is announced until it escalates past it; then its resolution always goes out",
    minSeverity: "HIGH",
    steps: [
      { at: 0, changes: ["opened"], incident: { severity: "LOW" }, expect: [] },
      { at: 40, changes: ["recurred"], incident: { severity: "LOW", occurrences: 5 }, expect: [] },
      { at: 41, changes: ["escalated"], incident: { severity: "HIGH", occurrences: 6 }, expect: ["escalated"] },
      { at: 50, changes: ["resolved"], incident: { severity: "HIGH", status: "RESOLVED" }, expect: ["resolved"] },
    ],
  },
  {
    // On AWS notify routes concurrently: the opening read the incident OPEN, the resolve committed first.
    name: "an opening routed after the resolve, with the incident read before it, pages for nothing",
    steps: [
      { at: 0, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: [] },
      { at: 0, changes: ["opened"], expect: [] },
    ],
  },
  {
    name: "an escalation routed after the resolve went out, with the incident read before it, pages for nothing",
    steps: [
      { at: 0, changes: ["opened"], expect: ["opened"] },
      { at: 5, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["resolved"] },
      { at: 5, changes: ["escalated"], incident: { severity: "CRITICAL" }, expect: [] },
    ],
  },
  {
    name: "the resolution of an incident that was never announced stays silent",
    minSeverity: "CRITICAL",
    steps: [
      { at: 0, changes: ["opened"], expect: [] },
      { at: 5, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: [] },
    ],
  },
  {
    name: "three fires in 30 minutes start flapping: one message, then everything is held",
    steps: [
      { at: 0, changes: ["opened"], expect: ["opened"] },
      { at: 2, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["resolved"] },
      { at: 4, changes: ["regressed"], expect: ["regressed"] },
      { at: 6, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["resolved"] },
      { at: 8, changes: ["regressed"], expect: ["flapping_started"] },
      { at: 10, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: [] },
      { at: 12, changes: ["regressed", "escalated"], incident: { severity: "CRITICAL" }, expect: [] },
      { at: 13, changes: ["recurred"], incident: { severity: "CRITICAL", occurrences: 9 }, expect: [] },
      // 30 quiet minutes after the last fire: one message says it stopped, with what was held.
      { at: 43, changes: ["recurred"], incident: { severity: "CRITICAL", occurrences: 10 }, expect: ["flapping_stopped"], context: { held: 3 } },
      { at: 50, changes: ["resolved"], incident: { severity: "CRITICAL", status: "RESOLVED" }, expect: ["resolved"] },
    ],
  },
  {
    name: "hysteresis: once flapping, a fire every 20 minutes keeps it held (stopping needs 30 quiet minutes)",
    steps: [
      { at: 0, changes: ["opened"], expect: ["opened"] },
      { at: 1, changes: ["regressed"], expect: [] },
      { at: 2, changes: ["regressed"], expect: ["flapping_started"] },
      { at: 22, changes: ["regressed"], expect: [] },
      { at: 42, changes: ["regressed"], expect: [] },
      { at: 62, changes: ["regressed"], expect: [] },
      { at: 92, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["flapping_stopped", "resolved"], context: { held: 3 } },
    ],
  },
  {
    name: "hysteresis: a fire every 20 minutes never starts flapping",
    steps: [
      { at: 0, changes: ["opened"], expect: ["opened"] },
      { at: 10, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["resolved"] },
      { at: 20, changes: ["regressed"], expect: ["regressed"] },
      { at: 30, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["resolved"] },
      { at: 40, changes: ["regressed"], expect: ["regressed"] },
      { at: 50, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["resolved"] },
      { at: 60, changes: ["regressed"], expect: ["regressed"] },
    ],
  },
  {
    name: "an incident still open when flapping stops is announced then, once",
    steps: [
      { at: 0, changes: ["opened"], expect: ["opened"] },
      { at: 1, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["resolved"] },
      { at: 2, changes: ["regressed"], expect: ["regressed"] },
      { at: 3, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: ["resolved"] },
      { at: 4, changes: ["regressed"], expect: ["flapping_started"] },
      { at: 5, changes: ["resolved"], incident: { status: "RESOLVED" }, expect: [] },
      // a same-id reopening while held: the channels last heard "flapping", then nothing
      { at: 6, changes: ["regressed"], incident: { regression_of: "inc_0" }, expect: [] },
      { at: 40, changes: ["recurred"], incident: { occurrences: 30 }, expect: ["flapping_stopped"], context: { held: 2 } },
      { at: 80, changes: ["recurred"], incident: { occurrences: 31 }, expect: ["recurred"] },
    ],
  },
  {
    name: "a duplicate that overtakes its own 'opened' does not announce the incident",
    steps: [
      { at: 0, changes: ["recurred"], incident: { occurrences: 2 }, expect: [] },
      { at: 0, changes: ["opened"], incident: { occurrences: 2 }, expect: ["opened"] },
    ],
  },
  {
    name: "flapping below min_severity is tracked but neither start nor stop is announced",
    minSeverity: "CRITICAL",
    steps: [
      { at: 0, changes: ["opened"], expect: [] },
      { at: 1, changes: ["regressed"], expect: [] },
      { at: 2, changes: ["regressed"], expect: [] },
      { at: 40, changes: ["regressed"], incident: { severity: "CRITICAL" }, expect: ["regressed"] },
    ],
  },
];

describe("notification policy", () => {
  describe.each(cases)("$name", ({ steps, minSeverity }) => {
    it("announces exactly the expected changes", () => {
      // prepare / act
      const results = play(steps, minSeverity);
      // assess
      expect(results.map((r) => r.notify)).toEqual(steps.map((s) => s.expect));
      steps.forEach((s, n) => { if (s.context) expect(results[n].context).toMatchObject(s.context); });
    });
  });

  it("a redelivered event gets the same decision and leaves the state as it was", () => {
    // prepare
    const first = decide(initialState(), "evt_1", ["opened"], incident(), new Date(T0), DEFAULT_RULES);
    // act
    const again = decide(first.state, "evt_1", ["opened"], incident(), new Date(T0 + 1000), DEFAULT_RULES);
    const other = decide(first.state, "evt_2", ["opened"], incident(), new Date(T0 + 1000), DEFAULT_RULES);
    // assess
    expect(again.notify).toEqual(["opened"]);
    expect(again.state).toBe(first.state);
    expect(other.notify).toEqual([]);
  });

  it("a regression inherits its lineage's flapping; held while it lasts, announced when released", () => {
    // prepare: inc_1 fired three times and is flapping
    let first = initialState();
    for (const [n, c] of (["opened", "resolved", "regressed", "resolved", "regressed"] as Change[]).entries()) {
      if (c === "regressed") first = inheritState(first);
      first = decide(first, `e1_${n}`, [c], incident({ status: c === "resolved" ? "RESOLVED" : "OPEN" }), new Date(T0 + n * 60_000), DEFAULT_RULES).state;
    }
    const regression = incident({ incident_id: "inc_2", regression_of: "inc_1" });
    // act
    const held = decide(inheritState(first), "e2_0", ["regressed"], regression, new Date(T0 + 10 * 60_000), DEFAULT_RULES);
    const released = decide(held.state, "e2_1", ["recurred"], { ...regression, occurrences: 9 }, new Date(T0 + 45 * 60_000), DEFAULT_RULES);
    // assess
    expect(first.flap.flapping).toBe(true);
    expect(held.notify).toEqual([]);
    expect(released.notify).toEqual(["flapping_stopped", "regressed"]);
    expect(released.context).toMatchObject({ held: 1, flapping_incident_id: "inc_1" });
  });

  it("keeps the state serializable and bounded", () => {
    // prepare
    let state = initialState();
    // act
    for (let n = 0; n < 200; n++) state = decide(state, `evt_${n}`, ["recurred"], incident({ occurrences: n }), new Date(T0 + n * 60_000), DEFAULT_RULES).state;
    // assess
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(state.recent.length).toBeLessThanOrEqual(20);
    expect(JSON.stringify(state).length).toBeLessThan(8_000);
  });
});

describe("the stage graph knows how long a quiet check parks", () => {
  it("covers the policy's quiet period, so the notify queue's age alarm does not fire for it", () => {
    expect(STAGES.notify.parksUpToSeconds * 1000).toBeGreaterThanOrEqual(DEFAULT_RULES.flapQuietMs);
  });
});
