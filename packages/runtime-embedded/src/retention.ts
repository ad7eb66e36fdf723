import { retentionDaysOf, tenantNamespace, type Clock, type Logger, type Tenant, type VectorIndex } from "@ir/core";
import { notifyStateKey } from "@ir/notify";
import type { Db } from "./db";
import type { Writer } from "./writer";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Rows deleted per transaction: the pump shares the store, so a large purge goes in small bites. */
const CHUNK = 500;
/** The first purge after start-up: soon enough that a server restarted more often than hourly still purges. */
const FIRST_RUN_MS = 60_000;

export interface RetentionReport { tenants: number; incidents: number; alarms: number; idempotency: number; audit: number; dead_letters: number }

interface Purge { name: Exclude<keyof RetentionReport, "tenants" | "incidents">; sql: string }

/**
 * Rows that age out by one timestamp, deleted a chunk at a time by primary key (the tables are WITHOUT
 * ROWID or keyed by seq). Timestamps are all `toISOString()` output, so text order is time order.
 */
const AGED: Purge[] = [
  { name: "alarms", sql: "DELETE FROM alarms WHERE tenant_id = @tenant AND alarm_id IN (SELECT alarm_id FROM alarms WHERE tenant_id = @tenant AND received_at < @cutoff LIMIT @limit)" },
  { name: "idempotency", sql: "DELETE FROM idempotency WHERE tenant_id = @tenant AND key IN (SELECT key FROM idempotency WHERE tenant_id = @tenant AND created_at < @cutoff LIMIT @limit)" },
  { name: "audit", sql: "DELETE FROM audit WHERE seq IN (SELECT seq FROM audit WHERE tenant_id = @tenant AND json_extract(doc, '$.at') < @cutoff LIMIT @limit)" },
  { name: "dead_letters", sql: "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE tenant_id = @tenant AND failed_at < @cutoff LIMIT @limit)" },
];

/**
 * Retention (DESIGN §5 plans): a tenant's incidents and alarms older than its plan's retention are purged.
 * An incident ages from its last activity: a RESOLVED one from resolved_at, an OPEN one from last_seen
 * (an incident still recurring is kept however old it is). With it go everything that points at it: its
 * fingerprints and source keys (so a later alarm opens a new incident instead of reviving a purged one),
 * its vector and its notification state. Alarm outcomes, idempotency claims, audit events and dead
 * letters age from their own timestamp. Runbooks, keys, settings and usage counters are the tenant's
 * configuration and billing, not incident data, and are kept.
 *
 * Secure delete is on for the store, so purged rows are overwritten, not left in free pages.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionReport> | null = null;

  constructor(
    private readonly db: Db,
    private readonly writer: Writer,
    private readonly vectors: VectorIndex,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Caches of incident documents to drop once rows under them are gone. */
    private readonly purged: () => void,
  ) {}

  /** Purge now, and every `everyMs` after the first run. */
  start(everyMs = HOUR_MS, firstMs = FIRST_RUN_MS): this {
    this.stop();
    const tick = () => { void this.run().catch((err) => this.log.error({ err }, "retention purge failed; next run retries")); };
    const first = setTimeout(() => { tick(); this.timer = setInterval(tick, everyMs).unref(); }, firstMs).unref();
    this.timer = first;
    return this;
  }

  stop() {
    if (this.timer) { clearTimeout(this.timer); clearInterval(this.timer); }
    this.timer = null;
  }

  /** One purge of every tenant as of `now`; a run already in progress is joined, not doubled. */
  run(now: Date = this.clock.now()): Promise<RetentionReport> {
    this.running ??= this.purgeAll(now).finally(() => { this.running = null; });
    return this.running;
  }

  private async purgeAll(now: Date): Promise<RetentionReport> {
    const report: RetentionReport = { tenants: 0, incidents: 0, alarms: 0, idempotency: 0, audit: 0, dead_letters: 0 };
    const tenants = (this.db.prepare("SELECT doc FROM tenants").all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as Tenant);
    for (const tenant of tenants) {
      const cutoff = new Date(now.getTime() - retentionDaysOf(tenant) * DAY_MS).toISOString();
      const before = report.incidents + report.alarms + report.idempotency + report.audit + report.dead_letters;
      report.incidents += await this.purgeIncidents(tenant.tenant_id, cutoff);
      for (const p of AGED) report[p.name] += await this.chunked(p.sql, tenant.tenant_id, cutoff);
      if (report.incidents + report.alarms + report.idempotency + report.audit + report.dead_letters > before) report.tenants++;
    }
    if (report.tenants) this.log.info({ ...report }, "retention purge");
    return report;
  }

  private async purgeIncidents(tenantId: string, cutoff: string): Promise<number> {
    const ns = tenantNamespace(tenantId);
    let total = 0;
    for (;;) {
      const n = await this.writer.exclusive(async () => {
        const ids = (this.db.prepare(`
          SELECT incident_id FROM incidents WHERE tenant_id = @tenant AND (
            (status = 'RESOLVED' AND json_extract(doc, '$.resolved_at') < @cutoff) OR (status = 'OPEN' AND json_extract(doc, '$.last_seen') < @cutoff))
          LIMIT @limit`).all({ tenant: tenantId, cutoff, limit: CHUNK }) as Array<{ incident_id: string }>).map((r) => r.incident_id);
        if (!ids.length) return 0;
        const list = JSON.stringify(ids);
        const inList = "IN (SELECT value FROM json_each(@ids))";
        this.db.prepare(`DELETE FROM fingerprints WHERE tenant_id = @tenant AND incident_id ${inList}`).run({ tenant: tenantId, ids: list });
        this.db.prepare(`DELETE FROM source_keys WHERE tenant_id = @tenant AND incident_id ${inList}`).run({ tenant: tenantId, ids: list });
        this.db.prepare(`DELETE FROM kv WHERE tenant_id = @tenant AND key ${inList}`).run({ tenant: tenantId, ids: JSON.stringify(ids.map(notifyStateKey)) });
        this.db.prepare(`DELETE FROM incidents WHERE tenant_id = @tenant AND incident_id ${inList}`).run({ tenant: tenantId, ids: list });
        await this.vectors.delete(ns, ids);
        this.writer.afterCommit(this.purged);
        return ids.length;
      });
      total += n;
      if (n < CHUNK) return total;
    }
  }

  private async chunked(sql: string, tenantId: string, cutoff: string): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.writer.exclusive(() => this.db.prepare(sql).run({ tenant: tenantId, cutoff, limit: CHUNK }).changes);
      total += n;
      if (n < CHUNK) return total;
    }
  }
}
