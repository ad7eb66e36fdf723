import type { Ports } from "@ir/core";

/**
 * Replaces a running server's clock (stages read `ports.clock` on every call), so a test can lay out
 * days of incidents in seconds. Ids stay on real time; only the domain's notion of "now" moves.
 */
export function takeClock(ports: Ports, start: string | number) {
  let t = typeof start === "string" ? Date.parse(start) : start;
  ports.clock = { now: () => new Date(t) };
  return {
    now: () => new Date(t),
    set(at: string | number) { t = typeof at === "string" ? Date.parse(at) : at; },
    advance(ms: number) { t += ms; },
  };
}
