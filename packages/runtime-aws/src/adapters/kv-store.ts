import { randomUUID } from "node:crypto";
import { Conflict, type KvStore } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import { isConditionFailed, pk, sk } from "../table";

/** Attempts of one update before the caller is told to retry (a Conflict: the record comes back in seconds). */
const UPDATE_ATTEMPTS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Values are stored as JSON text: DynamoDB's own types would turn empty strings, sets and floats into surprises.
 * Every write also stores a fresh revision, so `update` can write only over the value it read (records of a
 * standard queue's batch run concurrently: two notify routings of one incident must not erase each other).
 */
export class DynamoKvStore implements KvStore {
  constructor(private readonly table: DynamoTable) {}

  async get<T>(tenantId: string, key: string) {
    const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.kv(key) });
    return item ? (JSON.parse(item.value as string) as T) : null;
  }

  async put<T>(tenantId: string, key: string, value: T) {
    await this.table.put({ pk: pk.tenant(tenantId), sk: sk.kv(key), value: JSON.stringify(value), rev: randomUUID() });
  }

  async update<T>(tenantId: string, key: string, fn: (current: T | null) => T | undefined): Promise<T | null> {
    const at = { pk: pk.tenant(tenantId), sk: sk.kv(key) };
    for (let attempt = 1; ; attempt++) {
      const item = await this.table.get(at);
      const current = item ? (JSON.parse(item.value as string) as T) : null;
      const next = fn(current);
      if (next === undefined) return current;
      // Items written before revisions existed have none: "still none" is then the condition.
      const condition = !item ? { expression: "attribute_not_exists(pk)" }
        : item.rev === undefined ? { expression: "attribute_exists(pk) AND attribute_not_exists(#rev)", names: { "#rev": "rev" } }
        : { expression: "#rev = :rev", names: { "#rev": "rev" }, values: { ":rev": item.rev } };
      try {
        await this.table.put({ ...at, value: JSON.stringify(next), rev: randomUUID() }, condition);
        return next;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        if (attempt >= UPDATE_ATTEMPTS) throw new Conflict(`${key} was changed concurrently`);
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }
}
