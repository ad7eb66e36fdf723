import { describe, expect, it } from "vitest";
import type { NotificationSettings } from "@ir/core";
import { assignWebhookSecrets, maskNotificationSettings, revealIssued } from "../../src/index";

const none: NotificationSettings = { channels: [] };

describe("webhook signing secrets on PUT /api/v1/notifications", () => {
  it("generates a secret for a webhook channel without one, and shows only that one in the answer", () => {
    // act
    const signed = assignWebhookSecrets({
      channels: [
        { type: "pagerduty", routing_key: "R0UTINGKEY0123456789" },
        { type: "webhook", url: "https://hooks.example.com/a" },
        { type: "webhook", url: "https://hooks.example.com/b", secret: "my-own-secret-0123456789" },
      ],
    }, none);
    const answer = revealIssued(signed, maskNotificationSettings(signed.settings));
    // assess
    const generated = (signed.settings.channels[1] as { secret: string }).secret;
    expect(generated).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(signed.issued).toEqual([1]);
    expect(answer.channels).toEqual([
      { type: "pagerduty", routing_key: "****6789" },
      { type: "webhook", url: "https://hooks.example.com/****", secret: generated },
      { type: "webhook", url: "https://hooks.example.com/****", secret: "****" },
    ]);
  });

  it("keeps the stored secret of the same URL, and issues a new one for a channel stored without one", () => {
    // prepare
    const current: NotificationSettings = { channels: [
      { type: "webhook", url: "https://hooks.example.com/a", secret: "whsec_kept_0123456789abcdef" },
      { type: "webhook", url: "https://hooks.example.com/legacy" },
    ] };
    // act
    const signed = assignWebhookSecrets({ channels: [{ type: "webhook", url: "https://hooks.example.com/legacy" }, { type: "webhook", url: "https://hooks.example.com/a" }] }, current);
    // assess
    expect(signed.issued).toEqual([0]);
    expect(signed.settings.channels[1]).toEqual({ type: "webhook", url: "https://hooks.example.com/a", secret: "whsec_kept_0123456789abcdef" });
    expect((signed.settings.channels[0] as { secret?: string }).secret).toMatch(/^whsec_/);
  });
});
