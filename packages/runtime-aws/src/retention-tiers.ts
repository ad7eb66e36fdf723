/**
 * S3 lifecycle rules cannot see a tenant's plan from the `tenant_<id>/` prefix, so every retained document carries
 * the object tag `retention=<days>d` and the bucket has one expiration rule per tier (stacks/storage.ts builds them
 * from this list; the S3 adapter picks the tag from it). Pure data: the stacks import it without the runtime.
 *
 * A retention between two tiers is tagged with the next longer tier, so the lifecycle rule never deletes a
 * document before the plan says; the hourly retention worker deletes it at the exact cutoff. 3650 days is the
 * largest `retention_days` the API accepts, so every retention has a tier.
 */
export const RETENTION_TAG = "retention";
export const RETENTION_TIERS = [
  { days: 7, plans: ["free"] },
  { days: 30, plans: ["starter"] },
  { days: 90, plans: ["professional"] },
  { days: 180, plans: ["enterprise"] },
  { days: 365, plans: ["enterprise"] },
  { days: 730, plans: ["enterprise"] },
  { days: 3650, plans: ["enterprise"] },
] as const;

export const retentionTagValue = (days: number) => `${days}d`;

/**
 * The tier a retention of `days` is stored under: the shortest one that keeps the document at least that long.
 * None beyond the longest tier (the API never allows that): untagged, the document is left to the worker rather
 * than deleted early.
 */
export const retentionTierOf = (days: number): number | null => RETENTION_TIERS.find((t) => t.days >= days)?.days ?? null;

/** The `Tagging` value of a PutObject (URL query form) for a retention of `days`, or undefined for no tag. */
export const retentionTagging = (days: number): string | undefined => {
  const tier = retentionTierOf(days);
  return tier === null ? undefined : `${RETENTION_TAG}=${retentionTagValue(tier)}`;
};
