import type { Clock, Logger, TenantStore } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import type { TenantRegistry } from "../adapters/tenant-registry";
import { pk } from "../table";
import type { PurgeReport, TenantPurge } from "./tenant-purge";

/** Where a run that ran out of time stopped: the next run starts with the tenant after it. */
const CURSOR = { pk: pk.retention, sk: "cursor" };

export interface RetentionReport extends PurgeReport {
  /** Tenants purged of something. */
  tenants: number;
  /** Tenants whose purge failed (retried next run). */
  failed: number;
  /** False when the run stopped at its deadline; the next run resumes after the last tenant done. */
  complete: boolean;
}

export interface RetentionRunDeps {
  registry: TenantRegistry;
  tenants: Pick<TenantStore, "get">;
  purge: TenantPurge;
  /** Dead letters still waiting in the DLQs are catalogued first, so they can be purged too. */
  deadLetters: { sweep(): Promise<void> };
  table: DynamoTable;
  clock: Clock;
  log: Logger;
}

export class RetentionRunFailed extends Error {
  constructor(readonly report: RetentionReport) {
    super(`retention: ${report.failed} tenant(s) failed; the next run retries them`);
    this.name = "RetentionRunFailed";
  }
}

/**
 * One retention run over every tenant, as of the clock's now. Each tenant's cutoff comes from its plan as read now,
 * so a plan change applies from the next run (the S3 tags and TTLs written earlier are only the backstop). A tenant
 * that fails does not stop the others; the run then throws so the invocation counts as an error. Past the deadline
 * the run stops between tenants and records where, so a large account is covered over several runs, not starved.
 */
export async function runRetention(d: RetentionRunDeps, deadline: number): Promise<RetentionReport> {
  const now = d.clock.now();
  const report: RetentionReport = { tenants: 0, failed: 0, complete: true, incidents: 0, alarms: 0, idempotency: 0, audit: 0, dead_letters: 0 };
  await d.deadLetters.sweep().catch((err) => d.log.warn({ err }, "retention: dead-letter sweep failed; catalogued ones are still purged"));

  const ids = await d.registry.list();
  const after = (await d.table.get(CURSOR))?.after as string | undefined;
  const order = after === undefined ? ids : [...ids.filter((id) => id > after), ...ids.filter((id) => id <= after)];
  let last: string | undefined;
  for (const id of order) {
    if (Date.now() >= deadline) {
      report.complete = false;
      break;
    }
    last = id;
    const tenant = await d.tenants.get(id);
    if (!tenant) continue; // a creation that never finished, or an erase in progress
    try {
      const r = await d.purge.purge(tenant, now);
      const purged = r.incidents + r.alarms + r.idempotency + r.audit + r.dead_letters;
      for (const k of Object.keys(r) as Array<keyof PurgeReport>) report[k] += r[k];
      if (purged > 0) report.tenants++;
    } catch (err) {
      report.failed++;
      d.log.error({ err, tenant_id: id }, "retention: tenant purge failed");
    }
  }
  if (report.complete) await d.table.delete(CURSOR);
  else if (last !== undefined) await d.table.put({ ...CURSOR, after: last });

  d.log.info({ ...report }, "retention run");
  if (report.failed) throw new RetentionRunFailed(report);
  return report;
}
