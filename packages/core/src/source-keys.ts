/** Alertmanager alerts' source keys start with this (ingest mints them from the alert's fingerprint); CloudWatch's are alarm ARNs. */
export const ALERTMANAGER_KEY_PREFIX = "alertmanager:";

/**
 * Whether a source's own times order its firings and resolutions. CloudWatch sends state changes, each stamped
 * when it happened, so a firing older than the alarm's last OK is over already: it was delivered late (an
 * EventBridge retry, an unordered queue). Alertmanager does not: it resolves an alert whose updates stop for a
 * while and keeps its startsAt when they resume, so an old start may be the alert firing on.
 */
export const timesOrderStates = (sourceKey: string): boolean => !sourceKey.startsWith(ALERTMANAGER_KEY_PREFIX);
