import type { KvStore } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import { pk, sk } from "../table";

/** Values are stored as JSON text: DynamoDB's own types would turn empty strings, sets and floats into surprises. */
export class DynamoKvStore implements KvStore {
  constructor(private readonly table: DynamoTable) {}

  async get<T>(tenantId: string, key: string) {
    const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.kv(key) });
    return item ? (JSON.parse(item.value as string) as T) : null;
  }

  async put<T>(tenantId: string, key: string, value: T) {
    await this.table.put({ pk: pk.tenant(tenantId), sk: sk.kv(key), value: JSON.stringify(value) });
  }
}
