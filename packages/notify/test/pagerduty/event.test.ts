import { describe, expect, it } from "vitest";
import { PAGERDUTY_SEVERITY, SUMMARY_MAX, buildPagerDutyEvent, dedupKey } from "../../src/pagerduty/event";
import { notice, oversized } from "../notices";

describe("PagerDuty event", () => {
  it.each([
    { severity: "CRITICAL", expected: "critical" },
    { severity: "HIGH", expected: "error" },
    { severity: "MEDIUM", expected: "warning" },
    { severity: "LOW", expected: "info" },
  ] as const)("maps $severity to $expected", ({ severity, expected }) => {
    // prepare / act
    const event = buildPagerDutyEvent(notice("opened", { severity }));
    // assess
    expect(PAGERDUTY_SEVERITY[severity]).toBe(expected);
    expect(event?.payload?.severity).toBe(expected);
  });

  it("a trigger has a stable dedup_key, a summary within 1024 characters, source, component, details and links", () => {
    // prepare / act
    const event = buildPagerDutyEvent(notice("opened", oversized))!;
    // assess
    expect(event.event_action).toBe("trigger");
    expect(event.dedup_key).toBe(dedupKey("inc_1"));
    expect(event.payload!.summary.length).toBeLessThanOrEqual(SUMMARY_MAX);
    expect(event.payload).toMatchObject({ source: oversized.service, component: oversized.service, custom_details: { incident_id: "inc_1", regression_of: "inc_0" } });
    expect(event.links![0]).toEqual({ href: "https://ir.example.com/dashboard#/incidents/inc_1", text: "Incident inc_1" });
    expect(event.links!.slice(1).every((l) => l.href.startsWith("https://ir.example.com/dashboard#/runbooks/"))).toBe(true);
    expect(event.links!.length).toBeLessThanOrEqual(4);
    expect(JSON.stringify(event).length).toBeLessThan(512 * 1024);
    expect(JSON.stringify(event)).not.toContain("routing_key"); // added at send time
  });

  it.each([
    { change: "opened", expected: { event_action: "trigger", dedup_key: "ir:inc_1" } },
    { change: "regressed", expected: { event_action: "trigger", dedup_key: "ir:inc_1" } },
    { change: "escalated", expected: { event_action: "trigger", dedup_key: "ir:inc_1" } },
    { change: "flapping_started", expected: { event_action: "trigger", dedup_key: "ir:inc_1" } },
    { change: "resolved", expected: { event_action: "resolve", dedup_key: "ir:inc_1" } },
    { change: "flapping_stopped", expected: { event_action: "resolve", dedup_key: "ir:inc_0" } },
    { change: "recurred", expected: null },
  ] as const)("$change → $expected.event_action", ({ change, expected }) => {
    // prepare / act
    const event = buildPagerDutyEvent(notice(change));
    // assess
    if (expected === null) expect(event).toBeNull();
    else expect(event).toMatchObject(expected);
  });

  it("does not resolve the flapping alert when it belongs to this incident (its own resolve does)", () => {
    // prepare / act
    const event = buildPagerDutyEvent(notice("flapping_stopped", {}, { flapping_incident_id: "inc_1" }));
    // assess
    expect(event).toBeNull();
  });
});
