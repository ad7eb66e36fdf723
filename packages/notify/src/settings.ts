import { isDeepStrictEqual } from "node:util";
import { BadRequest, MASK, type NotificationSettings } from "@ir/core";
import { receiverFor } from "./receivers";
import { inspectTarget } from "./ssrf";

/** For `GET /api/v1/notifications`: the shape the PUT took, with every secret masked. */
export const maskNotificationSettings = (settings: NotificationSettings): NotificationSettings => ({
  ...settings,
  channels: settings.channels.map((channel) => receiverFor(channel).mask(channel)),
});

/**
 * For `PUT /api/v1/notifications`: settings read with GET and sent back (to change `min_severity`, say) carry
 * masked secrets. A channel exactly as GET shows a stored one keeps the stored one; a masked secret that
 * matches none is refused. Stored as sent, it would have paged no one, and said so only in dead letters.
 */
export const keepMaskedSecrets = (next: NotificationSettings, current: NotificationSettings): NotificationSettings => ({
  ...next,
  channels: next.channels.map((channel, i) => {
    const stored = current.channels.find((c) => c.type === channel.type && isDeepStrictEqual(receiverFor(c).mask(c), channel));
    if (stored) return stored;
    if (JSON.stringify(channel).includes(MASK)) {
      throw new BadRequest(`channels[${i}] (${channel.type}): holds a secret masked as GET shows it, and no stored channel matches it; send the real one`, "masked_secret");
    }
    return channel;
  }),
});

/**
 * For `PUT /api/v1/notifications`: every tenant-supplied URL must be http(s) and, unless private targets are
 * allowed (the embedded runtime), resolve only to public addresses. Throws BadRequest naming the first bad channel.
 */
export const validateTargets = async (settings: NotificationSettings, allowPrivate: boolean): Promise<void> => {
  const verdicts = await Promise.all(settings.channels.map(async (channel) => {
    const target = receiverFor(channel).target(channel);
    return target === null ? ({ ok: true } as const) : inspectTarget(target, allowPrivate);
  }));
  const bad = verdicts.findIndex((v) => !v.ok);
  if (bad === -1) return;
  const verdict = verdicts[bad];
  if (!verdict.ok) throw new BadRequest(`channels[${bad}] (${settings.channels[bad].type}): ${verdict.reason}`, "invalid_notification_target");
};
