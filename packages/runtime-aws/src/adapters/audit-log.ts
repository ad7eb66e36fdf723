import type { AuditEvent, AuditLog, Page, PageQuery } from "@ir/core";
import { decodeCursor, encodeCursor } from "../cursor";
import type { DynamoTable } from "../dynamo-table";
import { isConditionFailed, pk, sk, ttlAfter } from "../table";
import type { TenantRetention } from "./tenant-retention";

/**
 * Append-only: each event is a conditional put that can never overwrite, keyed by time so the trail reads
 * newest first with a reverse key scan. Nothing here updates or deletes; a tenant erase removes them, and so does
 * retention: an event expires (`expires_at`) the tenant's retention after it happened, and the retention worker
 * deletes it at that cutoff (grant the functions no UpdateItem on `audit#` keys if you want IAM to enforce the rest).
 */
export class DynamoAuditLog implements AuditLog {
  constructor(private readonly table: DynamoTable, private readonly retention: TenantRetention) {}

  async append(event: AuditEvent) {
    try {
      await this.table.put(
        {
          pk: pk.tenant(event.tenant_id), sk: sk.audit(event.at, event.event_id), doc: JSON.stringify(event),
          expires_at: ttlAfter(event.at, await this.retention.days(event.tenant_id)),
        },
        { expression: "attribute_not_exists(pk)" },
      );
    } catch (err) {
      // The same event appended twice (a retried request) is already there: append-only means keep the first.
      if (!isConditionFailed(err)) throw err;
    }
  }

  async list(tenantId: string, q: PageQuery): Promise<Page<AuditEvent>> {
    const after = decodeCursor(q.cursor, sk.auditPrefix);
    const page = await this.table.query({
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: { ":pk": pk.tenant(tenantId), ":prefix": sk.auditPrefix },
      ScanIndexForward: false,
      Limit: q.limit,
      ExclusiveStartKey: after ? { pk: pk.tenant(tenantId), sk: after } : undefined,
    });
    return {
      items: page.items.map((i) => JSON.parse(i.doc as string) as AuditEvent),
      next_cursor: page.lastKey ? encodeCursor(page.lastKey.sk) : null,
    };
  }
}
