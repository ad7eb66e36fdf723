import { describe, expect, it } from "vitest";
import { NotificationSettings } from "@ir/core";
import { maskNotificationSettings } from "../src/index";

describe("maskNotificationSettings", () => {
  const settings: NotificationSettings = {
    channels: [
      { type: "slack", webhook_url: "https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstWXYZ" },
      { type: "pagerduty", routing_key: "R0UT1NGKEYfedcba9876543210abcdef" },
      { type: "webhook", url: "https://ops.acme.io/hooks/incident?token=s3cr3ttoken123456", secret: "0123456789abcdefghij" },
      { type: "webhook", url: "https://ops.acme.io/h" },
    ],
    min_severity: "HIGH",
  };

  it("keeps the shape and what identifies a channel, and masks every secret", () => {
    // prepare / act
    const masked = maskNotificationSettings(settings);
    // assess
    expect(masked).toEqual({
      channels: [
        { type: "slack", webhook_url: "https://hooks.slack.com/****WXYZ" },
        { type: "pagerduty", routing_key: "****cdef" },
        { type: "webhook", url: "https://ops.acme.io/****3456", secret: "****" },
        { type: "webhook", url: "https://ops.acme.io/****" },
      ],
      min_severity: "HIGH",
    });
    expect(JSON.stringify(masked)).not.toMatch(/abcdefghijkl|R0UT1NG|s3cr3t|0123456789/);
    expect(settings.channels[1]).toEqual({ type: "pagerduty", routing_key: "R0UT1NGKEYfedcba9876543210abcdef" }); // input untouched
  });

  it("answers something the GET's schema still accepts for URLs and keys", () => {
    // prepare / act
    const masked = maskNotificationSettings({ ...settings, channels: settings.channels.slice(0, 2) });
    // assess
    expect(NotificationSettings.safeParse(masked).success).toBe(true);
  });
});
