import { tenantNamespace, type Logger, type TenantEraser, type VectorIndex } from "@ir/core";
import { BUSY_TIMEOUT_MS, type Db } from "../db";

/** Tables that hold a tenant's data, all keyed by tenant_id. A new table must be added here, or erase leaves it behind. */
const TENANT_TABLES = ["incidents", "fingerprints", "source_keys", "runbooks", "alarms", "idempotency", "audit", "usage", "kv", "queue", "dead_letters", "api_keys", "tenant_accounts", "aws_account_claims", "tenants"];
/** How long one scrub waits for readers (the checkpointer thread, another process): it runs on the event loop. */
const SCRUB_WAIT_MS = 200;
const SCRUB_ATTEMPTS = 12;

export class SqliteEraser implements TenantEraser {
  constructor(
    private readonly db: Db,
    private readonly vectors: VectorIndex,
    /** The store to oneself between transactions (Writer.hold): a retry must not run inside someone's transaction. */
    private readonly hold: () => Promise<() => void>,
    private readonly log: Logger,
  ) {}

  async erase(tenantId: string) {
    for (const t of TENANT_TABLES) this.db.prepare(`DELETE FROM ${t} WHERE tenant_id = ?`).run(tenantId);
    await this.vectors.deleteNamespace(tenantNamespace(tenantId));
  }

  /**
   * secure_delete zeroes freed pages; the WAL still holds their old images until it is checkpointed and
   * truncated. A reader in the way (the checkpointer mid-pass, a CLI process) makes that fail without an
   * error: then it is tried again, further and further apart, until it succeeds.
   */
  scrub(attempt = 0) {
    if (this.truncateWal()) return;
    if (attempt + 1 >= SCRUB_ATTEMPTS) {
      this.log.error({ attempts: SCRUB_ATTEMPTS }, "could not truncate the WAL after a tenant erase: its old pages stay in ir.db-wal until the next checkpoint");
      return;
    }
    setTimeout(() => {
      // Closed meanwhile (a shutdown): SQLite checkpoints and deletes the WAL as its last connection closes.
      if (!this.db.open) return;
      void this.hold().then((release) => { try { if (this.db.open) this.scrub(attempt + 1); } finally { release(); } }, () => undefined);
    }, Math.min(60_000, 250 * 2 ** attempt)).unref();
  }

  private truncateWal(): boolean {
    try {
      this.db.pragma(`busy_timeout = ${SCRUB_WAIT_MS}`);
      const [r] = this.db.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number; log: number }>;
      return r.busy === 0 && r.log === 0;
    } catch {
      return false;
    } finally {
      if (this.db.open) this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }
}
