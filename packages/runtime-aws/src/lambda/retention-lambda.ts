import type { Context } from "aws-lambda";
import type { AwsPorts } from "../ports";
import { runRetention, type RetentionReport } from "../retention/retention-run";
import { TenantPurge } from "../retention/tenant-purge";

/** Kept back from Lambda's deadline: the tenant in progress must finish and the cursor be written. */
const RESERVE_MS = 120_000;

/**
 * The retention worker's Lambda, invoked by an EventBridge Scheduler schedule (whose event carries nothing it
 * needs). The cutoff comes from `ports.clock`, never from the event, so no invocation can purge ahead of time.
 */
export const retentionLambda = (ports: AwsPorts) => {
  const purge = new TenantPurge(ports.table, ports.docs, ports.vectors);
  const log = ports.log.child({ worker: "retention" });
  return async (_event: unknown, context?: Pick<Context, "getRemainingTimeInMillis">): Promise<RetentionReport> => {
    const remaining = typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : 15 * 60_000;
    const deadline = Date.now() + Math.max(remaining - RESERVE_MS, remaining / 2);
    return runRetention({ registry: ports.registry, tenants: ports.tenants, purge, deadLetters: ports.deadLetters, table: ports.table, clock: ports.clock, log }, deadline);
  };
};
