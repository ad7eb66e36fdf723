import type { QueryCommandInput, ScanCommandInput } from "@aws-sdk/lib-dynamodb";
import type { DynamoLazy } from "./clients";

export type Item = Record<string, unknown>;
export interface Key { pk: string; sk: string }

const BATCH_WRITE = 25;
const BATCH_GET = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The few table operations the adapters share, bound to one table name. Batch calls retry their
 * unprocessed items (DynamoDB returns them under throttling instead of failing the call). The SDK and its
 * commands are loaded by the first operation (see LazyClient), not when a handler module is imported.
 */
export class DynamoTable {
  constructor(readonly client: DynamoLazy, readonly name: string) {}

  async get(key: Key, consistent = true): Promise<Item | undefined> {
    const { sdk, client } = await this.client.use();
    const out = await client.send(new sdk.GetCommand({ TableName: this.name, Key: key, ConsistentRead: consistent }));
    return out.Item;
  }

  async put(item: Item & Key, condition?: { expression: string; names?: Record<string, string>; values?: Item }) {
    const { sdk, client } = await this.client.use();
    await client.send(new sdk.PutCommand({
      TableName: this.name,
      Item: item,
      ConditionExpression: condition?.expression,
      ExpressionAttributeNames: condition?.names,
      ExpressionAttributeValues: condition?.values,
    }));
  }

  async update(key: Key, expression: string, opts: { condition?: string; names?: Record<string, string>; values?: Item; returnNew?: boolean } = {}) {
    const { sdk, client } = await this.client.use();
    const out = await client.send(new sdk.UpdateCommand({
      TableName: this.name,
      Key: key,
      UpdateExpression: expression,
      ConditionExpression: opts.condition,
      ExpressionAttributeNames: opts.names,
      ExpressionAttributeValues: opts.values,
      ReturnValues: opts.returnNew ? "ALL_NEW" : "NONE",
    }));
    return out.Attributes;
  }

  async delete(key: Key, condition?: { expression: string; names?: Record<string, string>; values?: Item }) {
    const { sdk, client } = await this.client.use();
    await client.send(new sdk.DeleteCommand({
      TableName: this.name,
      Key: key,
      ConditionExpression: condition?.expression,
      ExpressionAttributeNames: condition?.names,
      ExpressionAttributeValues: condition?.values,
    }));
  }

  async query(input: Omit<QueryCommandInput, "TableName">) {
    const { sdk, client } = await this.client.use();
    const out = await client.send(new sdk.QueryCommand({ ...input, TableName: this.name }));
    return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey as Key | undefined };
  }

  /** Every item of a partition (optionally under a sort-key prefix), following pages; strongly consistent. */
  async queryAll(partition: string, prefix?: string, projection?: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Key | undefined;
    do {
      const page = await this.query({
        KeyConditionExpression: prefix ? "pk = :pk AND begins_with(sk, :prefix)" : "pk = :pk",
        ExpressionAttributeValues: prefix ? { ":pk": partition, ":prefix": prefix } : { ":pk": partition },
        ProjectionExpression: projection,
        ConsistentRead: true,
        ExclusiveStartKey: start,
      });
      items.push(...page.items);
      start = page.lastKey;
    } while (start);
    return items;
  }

  /** Every item of the whole table that passes a filter: reads (and bills) the entire table, so only for one-off work. */
  async scanAll(input: Omit<ScanCommandInput, "TableName" | "ExclusiveStartKey">): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    const { sdk, client } = await this.client.use();
    do {
      const out = await client.send(new sdk.ScanCommand({ ...input, TableName: this.name, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async batchGet(keys: Key[], consistent = true): Promise<Item[]> {
    const found: Item[] = [];
    const { sdk, client } = await this.client.use();
    for (let i = 0; i < keys.length; i += BATCH_GET) {
      let pending: Key[] = keys.slice(i, i + BATCH_GET);
      for (let attempt = 0; pending.length; attempt++) {
        const out = await client.send(new sdk.BatchGetCommand({ RequestItems: { [this.name]: { Keys: pending, ConsistentRead: consistent } } }));
        found.push(...(out.Responses?.[this.name] ?? []));
        pending = (out.UnprocessedKeys?.[this.name]?.Keys ?? []) as Key[];
        if (pending.length) await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
    return found;
  }

  async batchPut(items: Array<Item & Key>) {
    await this.batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
  }

  async batchDelete(keys: Key[]) {
    await this.batchWrite(keys.map((k) => ({ DeleteRequest: { Key: { pk: k.pk, sk: k.sk } } })));
  }

  private async batchWrite(requests: Array<Record<string, unknown>>) {
    const { sdk, client } = await this.client.use();
    for (let i = 0; i < requests.length; i += BATCH_WRITE) {
      let pending = requests.slice(i, i + BATCH_WRITE);
      for (let attempt = 0; pending.length; attempt++) {
        const out = await client.send(new sdk.BatchWriteCommand({ RequestItems: { [this.name]: pending } }));
        pending = (out.UnprocessedItems?.[this.name] ?? []) as Array<Record<string, unknown>>;
        if (pending.length) await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }
}
