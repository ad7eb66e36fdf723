import { severityRank, type Change, type Incident, type Severity } from "@ir/core";

/**
 * When an incident's channels hear about it. Pure: the stage loads the state, passes the clock's `now`,
 * and stores what comes back, so every rule here is tested with a fake clock and no I/O.
 */

export interface PolicyRules {
  /** Below this nothing is announced; a resolution of an announced incident always is. */
  minSeverity: Severity;
  /** Least time between two "N more occurrences" updates of one incident: duplicates never page. */
  updateEveryMs: number;
  /** This many fires (opened or regressed) of one lineage within `flapWindowMs` mark it flapping. */
  flapFires: number;
  flapWindowMs: number;
  /**
   * Flapping stops only after this long without a fire. Starting needs `flapFires` fires per window,
   * stopping needs none, so a source hovering between the two keeps its state instead of toggling.
   */
  flapQuietMs: number;
}

const MINUTE = 60_000;
export const DEFAULT_RULES: PolicyRules = {
  minSeverity: "LOW",
  updateEveryMs: 30 * MINUTE,
  flapFires: 3,
  flapWindowMs: 30 * MINUTE,
  flapQuietMs: 30 * MINUTE,
};

/** What the policy knows about the facts behind a notification, for the message to say. */
export interface NoticeContext {
  /** Severity last announced, for "escalated from". */
  previous_severity: Severity | null;
  /** Occurrences since the last announcement, for "N more occurrences". */
  new_occurrences: number;
  /** Changes held while flapping, for the message that says it stopped. */
  held: number;
  flapping_since: string | null;
  /** The incident whose fire started the flapping: its page is the one to resolve when it stops. */
  flapping_incident_id: string | null;
  /** How long the lineage must stay quiet for the hold to end. */
  quiet_ms: number;
}

export interface Decision {
  notify: Change[];
  context: NoticeContext;
}

/**
 * Incoming, "flapping_stopped" is never a fact from match but the policy's own quiet check: scheduled when a
 * lineage fires while flapping, it releases the hold once the lineage has been quiet for `flapQuietMs`. Without
 * it a hold would end only with the lineage's next event, and a resolution held while flapping (the last thing a
 * source that stays fixed ever says) would never reach the channels.
 */
export const QUIET_CHECK: Change = "flapping_stopped";
export const isQuietCheck = (changes: readonly Change[]) => changes.length === 1 && changes[0] === QUIET_CHECK;

/** The fire a quiet check is for, when this state needs one: the lineage is flapping here and fired last here. */
export const quietCheckFire = (s: NotifyState): string | null =>
  s.flap.flapping && !s.flap.successor ? s.flap.last_fire_at : null;

/** Flapping belongs to a lineage (an incident and its regressions), so a regression inherits it. */
export interface FlapState {
  fires: string[];
  last_fire_at: string | null;
  flapping: boolean;
  since: string | null;
  held: number;
  incident_id: string | null;
  /** Whether "flapping started" went out (it may not, below min_severity); only then does "stopped". */
  announced: boolean;
  /**
   * The regression that inherited this flapping: the lineage's hold lives on in its state, and this copy's
   * quiet checks end (its last fire is no longer the lineage's). Absent in states written before it existed.
   */
  successor?: string | null;
}

/** A PagerDuty trigger handed to the runtime and neither delivered nor given up yet (see delivery-order.ts). */
export interface PendingPage {
  /** The `notification.send` event id. */
  id: string;
  /** When it was routed. */
  at: string;
  /** Failed attempts so far, counted as the runtimes count them. */
  failures: number;
  /** The channel (ChannelRef id) it goes to: a resolve waits only for its own channel's. None before 2026-11: any channel's. */
  channel?: string;
}

export interface NotifyState {
  v: 1;
  /** What the channels last heard about this incident: nothing, that it is open, that it is resolved. */
  phase: "silent" | "open" | "resolved";
  severity: Severity | null;
  occurrences: number;
  announced_at: string | null;
  flap: FlapState;
  /**
   * The last decisions by event id. The state is written before the sends are handed to the runtime; a
   * redelivered event finds its decision here and emits the same sends (same ids) instead of none.
   */
  recent: Array<Decision & { event_id: string }>;
  /** Triggers of this incident's alert not yet delivered: a resolve of it waits for them. */
  pages?: PendingPage[];
  /** When the last resolve of this incident's alert that was delivered had been routed: older triggers are stale. Every channel's, before 2026-11. */
  closed_at?: string | null;
  /** The same per channel (ChannelRef id). */
  closed?: Record<string, string>;
}

const RECENT = 20;

export const initialState = (): NotifyState => ({
  v: 1,
  phase: "silent",
  severity: null,
  occurrences: 0,
  announced_at: null,
  flap: { fires: [], last_fire_at: null, flapping: false, since: null, held: 0, incident_id: null, announced: false },
  recent: [],
});

/** A regression starts silent but keeps its predecessor's flapping history. */
export const inheritState = (predecessor: NotifyState): NotifyState => ({
  ...initialState(),
  flap: { ...structuredClone(predecessor.flap), successor: null },
});

const ms = (iso: string) => Date.parse(iso);
const FIRES: ReadonlySet<Change> = new Set<Change>(["opened", "regressed"]);

export const decide = (
  state: NotifyState,
  eventId: string,
  changes: readonly Change[],
  incident: Incident,
  now: Date,
  rules: PolicyRules,
): Decision & { state: NotifyState; /** A quiet check came early: check again after this long. */ recheckInMs?: number } => {
  const seen = state.recent.find((d) => d.event_id === eventId);
  if (seen) return { notify: seen.notify, context: seen.context, state };

  let facts = changes;
  if (isQuietCheck(changes)) {
    const idle = { notify: [], context: contextOf(state, rules), state };
    if (quietCheckFire(state) === null) return idle; // released meanwhile, or the hold moved to a regression
    const quietAt = ms(state.flap.last_fire_at!) + rules.flapQuietMs;
    if (now.getTime() < quietAt) return { ...idle, recheckInMs: quietAt - now.getTime() };
    // Quiet: the hold ends as it would on the lineage's next event, which says what the incident is now.
    facts = [incident.status === "OPEN" ? "recurred" : "resolved"];
  }

  const s = structuredClone(state);
  const context = contextOf(s, rules);
  const notify: Change[] = [];
  for (const change of facts) step(s, change, incident, now, rules, context, notify);
  s.recent = [...s.recent, { event_id: eventId, notify, context }].slice(-RECENT);
  return { notify, context, state: s };
};

const contextOf = (s: NotifyState, rules: PolicyRules): NoticeContext => ({
  previous_severity: s.severity,
  new_occurrences: 0,
  held: 0,
  flapping_since: s.flap.since,
  flapping_incident_id: s.flap.incident_id,
  quiet_ms: rules.flapQuietMs,
});

const step = (s: NotifyState, change: Change, incident: Incident, now: Date, rules: PolicyRules, context: NoticeContext, out: Change[]) => {
  const at = now.toISOString();
  const announceable = severityRank(incident.severity) >= severityRank(rules.minSeverity);
  const fire = FIRES.has(change);
  const previousFire = s.flap.last_fire_at;
  if (fire) {
    s.flap.fires = [...s.flap.fires.filter((t) => now.getTime() - ms(t) < rules.flapWindowMs), at];
    s.flap.last_fire_at = at;
  }

  let released = false;
  if (s.flap.flapping) {
    const quiet = previousFire === null || now.getTime() - ms(previousFire) >= rules.flapQuietMs;
    if (!quiet) {
      // Duplicates are not news even outside flapping; everything else is held and counted.
      if (change !== "recurred") s.flap.held += 1;
      return;
    }
    const told = s.flap.announced;
    if (told) out.push("flapping_stopped");
    released = true;
    context.held = s.flap.held;
    context.flapping_since = s.flap.since;
    context.flapping_incident_id = s.flap.incident_id;
    s.flap = { ...s.flap, fires: fire ? [at] : [], flapping: false, since: null, held: 0, incident_id: null, announced: false };
    // The stop message states the incident as it is now, so an update right after it would repeat it.
    if (told && s.phase === "open") { s.announced_at = at; s.occurrences = incident.occurrences; }
  } else if (fire && s.flap.fires.length >= rules.flapFires) {
    s.flap = { ...s.flap, flapping: true, since: at, held: 0, incident_id: incident.incident_id, announced: announceable };
    context.flapping_since = at;
    context.flapping_incident_id = incident.incident_id;
    if (announceable) {
      // This one message stands in for the fire that started the flapping.
      out.push("flapping_started");
      announce(s, incident, at);
    }
    return;
  }

  switch (change) {
    case "resolved":
      if (s.phase === "open") { out.push("resolved"); s.announced_at = at; }
      // Also when never announced (below min_severity, or its opening not routed yet): an opening routed after
      // this, with the incident read before it was resolved, must not page for it.
      s.phase = "resolved";
      return;
    case "opened":
    case "regressed":
    case "escalated":
      if (s.phase === "open") {
        if (change === "escalated" && s.severity && severityRank(incident.severity) > severityRank(s.severity)) {
          context.previous_severity = s.severity;
          out.push("escalated");
          s.severity = incident.severity;
          s.announced_at = at;
        }
        return; // an opened or regressed the channels already heard
      }
      if (!announceable) return;
      // An incident never reopens (a recurrence after its resolve is a new incident): this routing read it before
      // the resolve (AWS routes concurrently), and announcing it would page with no resolve to follow.
      if (s.phase === "resolved") return;
      // Unordered (on AWS a resolution skips enrich and overtakes its opening): announcing an incident that is
      // already resolved would page for it, and no resolve would follow.
      if (incident.status !== "OPEN") return;
      out.push(change);
      announce(s, incident, at);
      return;
    case "recurred":
      if (s.phase === "open") {
        const due = s.announced_at === null || now.getTime() - ms(s.announced_at) >= rules.updateEveryMs;
        if (due && incident.occurrences > s.occurrences) {
          context.new_occurrences = incident.occurrences - s.occurrences;
          out.push("recurred");
          s.occurrences = incident.occurrences;
          s.announced_at = at;
        }
        return;
      }
      // An open incident held while flapping is announced once it is released. Not otherwise: the stage is
      // unordered, and a duplicate racing its own "opened" must not announce it a second time.
      if (released && announceable && incident.status === "OPEN") {
        out.push(incident.regression_of || s.phase === "resolved" ? "regressed" : "opened");
        announce(s, incident, at);
      }
      return;
    case "flapping_started":
    case "flapping_stopped":
      return; // produced here, never consumed
  }
};

const announce = (s: NotifyState, incident: Incident, at: string) => {
  s.phase = "open";
  s.severity = incident.severity;
  s.occurrences = incident.occurrences;
  s.announced_at = at;
};
