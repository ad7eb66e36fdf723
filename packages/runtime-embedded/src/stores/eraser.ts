import { tenantNamespace, type TenantEraser, type VectorIndex } from "@ir/core";
import type { Db } from "../db";

/** Tables that hold a tenant's data, all keyed by tenant_id. A new table must be added here, or erase leaves it behind. */
const TENANT_TABLES = ["incidents", "fingerprints", "source_keys", "runbooks", "alarms", "idempotency", "audit", "usage", "kv", "queue", "dead_letters", "api_keys", "tenant_accounts", "tenants"];

export class SqliteEraser implements TenantEraser {
  constructor(private readonly db: Db, private readonly vectors: VectorIndex) {}

  async erase(tenantId: string) {
    for (const t of TENANT_TABLES) this.db.prepare(`DELETE FROM ${t} WHERE tenant_id = ?`).run(tenantId);
    await this.vectors.deleteNamespace(tenantNamespace(tenantId));
  }

  /** secure_delete zeroes freed pages; checkpointing truncates the WAL, which still holds the old page images. */
  scrub() {
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }
}
