import type { DynamoTable } from "../dynamo-table";
import { pk, sk } from "../table";

/** Set once every tenant created before the registry existed has been entered. */
const BACKFILLED = { pk: pk.retention, sk: "registry-backfilled" };

/**
 * The ids of all tenants, one small item each in partition `tenants`. Tenants live in their own partitions, which
 * only a full-table scan can enumerate; the hourly retention worker reads this instead. Creation enters a tenant
 * before its tenant item is written, so no tenant is ever missing here (a failed creation leaves an id with no
 * tenant, which readers skip); an erase removes it last.
 */
export class TenantRegistry {
  constructor(private readonly table: DynamoTable) {}

  async add(tenantId: string) {
    await this.table.put({ pk: pk.tenants, sk: sk.registered(tenantId) });
  }

  async remove(tenantId: string) {
    await this.table.delete({ pk: pk.tenants, sk: sk.registered(tenantId) });
  }

  /** Every registered tenant id, in id order. */
  async list(): Promise<string[]> {
    await this.backfillOnce();
    const items = await this.table.queryAll(pk.tenants, undefined, "sk");
    return items.map((i) => i.sk as string);
  }

  /** Tenants created before the registry: one scan, the first time a worker needs the list, then never again. */
  private async backfillOnce() {
    if (await this.table.get(BACKFILLED)) return;
    const tenants = await this.table.scanAll({
      FilterExpression: "sk = :tenant", ExpressionAttributeValues: { ":tenant": sk.tenant }, ProjectionExpression: "pk",
    });
    await this.table.batchPut(tenants.map((t) => ({ pk: pk.tenants, sk: sk.registered((t.pk as string).slice(pk.tenant("").length)) })));
    await this.table.put({ ...BACKFILLED, at: new Date().toISOString() });
  }
}
