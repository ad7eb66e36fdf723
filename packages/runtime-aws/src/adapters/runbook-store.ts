import type { Page, PageQuery, Runbook, RunbookStore } from "@ir/core";
import { decodeCursor, encodeCursor } from "../cursor";
import { s3Keys, type S3Documents } from "../s3-documents";

/** Runbooks are S3 documents (`tenant_<id>/runbooks/<id>.json`; the built-in ones under tenant `global`). */
export class S3RunbookStore implements RunbookStore {
  constructor(private readonly docs: S3Documents) {}

  async get(tenantId: string, runbookId: string) {
    return (await this.docs.get<Runbook>(s3Keys.runbook(tenantId, runbookId)))?.value ?? null;
  }

  async put(runbook: Runbook) {
    await this.docs.put(s3Keys.runbook(runbook.tenant_id, runbook.runbook_id), runbook);
  }

  async delete(tenantId: string, runbookId: string) {
    const key = s3Keys.runbook(tenantId, runbookId);
    // S3 deletes are idempotent and say nothing about existence; the API needs a 404 for unknown ids.
    if (!(await this.docs.get(key))) return false;
    await this.docs.delete(key);
    return true;
  }

  async list(tenantId: string, q: PageQuery): Promise<Page<Runbook>> {
    const prefix = s3Keys.runbookPrefix(tenantId);
    const page = await this.docs.listPage(prefix, q.limit, decodeCursor(q.cursor, prefix));
    const docs = await Promise.all(page.keys.map((k) => this.docs.get<Runbook>(k)));
    return {
      items: docs.filter((d) => d !== null).map((d) => d.value),
      next_cursor: page.more && page.keys.length ? encodeCursor(page.keys[page.keys.length - 1]) : null,
    };
  }

  count(tenantId: string) {
    return this.docs.countUnder(s3Keys.runbookPrefix(tenantId));
  }
}
