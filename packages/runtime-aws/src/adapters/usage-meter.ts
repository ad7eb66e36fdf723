import type { UsageMeter } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import { pk, sk } from "../table";

/** Counters are top-level attributes `c_<name>` so DynamoDB's atomic ADD creates them on first use. */
const PREFIX = "c_";

export class DynamoUsageMeter implements UsageMeter {
  constructor(private readonly table: DynamoTable) {}

  async add(tenantId: string, period: string, counter: string, n: number) {
    await this.table.update({ pk: pk.tenant(tenantId), sk: sk.usage(period) }, "ADD #c :n", { names: { "#c": PREFIX + counter }, values: { ":n": n } });
  }

  async get(tenantId: string, period: string) {
    const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.usage(period) });
    const counts: Record<string, number> = {};
    for (const [k, v] of Object.entries(item ?? {})) if (k.startsWith(PREFIX)) counts[k.slice(PREFIX.length)] = Number(v);
    return counts;
  }
}
