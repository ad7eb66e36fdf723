import { pastRetention, retentionDaysOf, tenantNamespace, type Clock, type Incident, type Logger, type Tenant, type VectorIndex } from "@ir/core";
import { notifyStateKey } from "@ir/notify";
import type { Db } from "./db";
import type { Writer } from "./writer";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Rows deleted per transaction: the pump shares the store, so a large purge goes in small bites. */
const CHUNK = 500;
/** Rows examined per read: the scan yields to requests between pages instead of holding the event loop. */
const SCAN = 2000;
/** The first purge after start-up: soon enough that a server restarted more often than hourly still purges. */
const FIRST_RUN_MS = 60_000;

export interface RetentionReport { tenants: number; incidents: number; alarms: number; idempotency: number; audit: number; dead_letters: number }

/**
 * A table whose rows age out: `aged` is true for a row past @cutoff. Most of these conditions have no index
 * (one would cost every alarm an extra write), so the purge walks each table by key, a page at a time.
 */
interface Aged { table: string; key: string; aged: string }

/** Candidates only: an OPEN incident a source still fires for is kept however quiet (see retainedFrom), which the document tells. */
const INCIDENTS: Aged = {
  table: "incidents", key: "incident_id",
  aged: "(status = 'RESOLVED' AND json_extract(doc, '$.resolved_at') < @cutoff) OR (status = 'OPEN' AND json_extract(doc, '$.last_seen') < @cutoff)",
};
const AGED: Array<Aged & { name: Exclude<keyof RetentionReport, "tenants" | "incidents"> }> = [
  { name: "alarms", table: "alarms", key: "alarm_id", aged: "received_at < @cutoff" },
  { name: "idempotency", table: "idempotency", key: "key", aged: "created_at < @cutoff" },
  { name: "audit", table: "audit", key: "seq", aged: "json_extract(doc, '$.at') < @cutoff" },
  { name: "dead_letters", table: "dead_letters", key: "id", aged: "failed_at < @cutoff" },
];
const IN_LIST = "IN (SELECT value FROM json_each(@keys))";

/**
 * Retention (DESIGN §5 plans): a tenant's incidents and alarms older than its plan's retention are purged.
 * An incident ages from its last activity (retainedFrom): a RESOLVED one from resolved_at, an OPEN one from
 * last_seen (an incident still recurring is kept however old it is), one a source still fires for up to
 * HELD_OPEN_MAX_DAYS after its last alarm (see pastRetention). With it go everything that points at it: its
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
  private closed = false;

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

  /** No more runs; a purge in progress stops at its next page and is waited for, so the store can close. */
  async close() {
    this.closed = true;
    this.stop();
    await this.running?.catch(() => undefined);
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
      report.incidents += await this.purgeIncidents(tenant, cutoff, now);
      for (const t of AGED) report[t.name] += await this.purgeAged(t, tenant.tenant_id, cutoff);
      if (report.incidents + report.alarms + report.idempotency + report.audit + report.dead_letters > before) report.tenants++;
    }
    if (report.tenants) this.log.info({ ...report }, "retention purge");
    return report;
  }

  private async purgeIncidents(tenant: Tenant, cutoff: string, now: Date): Promise<number> {
    const tenantId = tenant.tenant_id;
    const ns = tenantNamespace(tenantId);
    let total = 0;
    for await (const candidates of this.agedKeys(INCIDENTS, tenantId, cutoff)) {
      total += await this.writer.exclusive(async () => {
        // Checked again inside the transaction: an incident may have recurred since the scan read it.
        const ids = (this.db.prepare(`SELECT incident_id, doc FROM incidents WHERE tenant_id = @tenant AND incident_id ${IN_LIST} AND (${INCIDENTS.aged})`)
          .all({ tenant: tenantId, cutoff, keys: JSON.stringify(candidates) }) as Array<{ incident_id: string; doc: string }>)
          .filter((r) => pastRetention(JSON.parse(r.doc) as Incident, retentionDaysOf(tenant), tenant.settings.auto_resolve, now)).map((r) => r.incident_id);
        if (!ids.length) return 0;
        const keys = JSON.stringify(ids);
        this.db.prepare(`DELETE FROM fingerprints WHERE tenant_id = @tenant AND incident_id ${IN_LIST}`).run({ tenant: tenantId, keys });
        this.db.prepare(`DELETE FROM source_keys WHERE tenant_id = @tenant AND incident_id ${IN_LIST}`).run({ tenant: tenantId, keys });
        this.db.prepare(`DELETE FROM kv WHERE tenant_id = @tenant AND key ${IN_LIST}`).run({ tenant: tenantId, keys: JSON.stringify(ids.map(notifyStateKey)) });
        this.db.prepare(`DELETE FROM incidents WHERE tenant_id = @tenant AND incident_id ${IN_LIST}`).run({ tenant: tenantId, keys });
        await this.vectors.delete(ns, ids);
        this.writer.afterCommit(this.purged);
        return ids.length;
      });
    }
    return total;
  }

  private async purgeAged(t: Aged, tenantId: string, cutoff: string): Promise<number> {
    let total = 0;
    for await (const keys of this.agedKeys(t, tenantId, cutoff)) {
      total += await this.writer.exclusive(() => this.db.prepare(`DELETE FROM ${t.table} WHERE tenant_id = @tenant AND ${t.key} ${IN_LIST} AND (${t.aged})`)
        .run({ tenant: tenantId, cutoff, keys: JSON.stringify(keys) }).changes);
    }
    return total;
  }

  /** Keys of aged rows in chunks of at most CHUNK, read a page of SCAN rows at a time, outside any transaction. */
  private async *agedKeys(t: Aged, tenantId: string, cutoff: string): AsyncGenerator<Array<string | number>> {
    let after: string | number | null = null;
    let found: Array<string | number> = [];
    for (;;) {
      if (this.closed) return;
      const page = this.db.prepare(`SELECT ${t.key} AS k, (${t.aged}) AS old FROM ${t.table} WHERE tenant_id = @tenant ${after === null ? "" : `AND ${t.key} > @after`} ORDER BY ${t.key} LIMIT ${SCAN}`);
      const rows = (after === null ? page.all({ tenant: tenantId, cutoff }) : page.all({ tenant: tenantId, cutoff, after })) as Array<{ k: string | number; old: number }>;
      for (const r of rows) if (r.old) found.push(r.k);
      while (found.length >= CHUNK || (rows.length < SCAN && found.length)) { yield found.slice(0, CHUNK); found = found.slice(CHUNK); }
      if (rows.length < SCAN) return;
      after = rows[rows.length - 1].k;
      await new Promise((r) => setImmediate(r));
    }
  }
}
