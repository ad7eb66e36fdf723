import type { Incident } from "@ir/core";

/**
 * When an incident last did anything, the time its retention counts from (as in the embedded runtime): a RESOLVED
 * one from its resolution, an OPEN one from its last occurrence, so an incident that keeps recurring is never purged.
 */
export const activityOf = (incident: Pick<Incident, "status" | "resolved_at" | "last_seen">): string =>
  incident.status === "RESOLVED" && incident.resolved_at ? incident.resolved_at : incident.last_seen;

/**
 * TTL fires up to days late but may fire early in that window, and a head deleted by TTL before the hourly worker
 * saw it would strand the incident's vector in Pinecone (nothing else lists them). DynamoDB items therefore expire
 * this long after the retention cutoff the worker purges at: TTL is the backstop, the worker does the purging.
 */
export const TTL_GRACE_DAYS = 2;
