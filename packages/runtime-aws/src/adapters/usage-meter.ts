import type { UsageMeter } from "@ir/core";
import type { DynamoTable } from "../dynamo-table";
import { isConditionFailed, pk, sk } from "../table";

/** Counters are top-level attributes `c_<name>` so DynamoDB's atomic ADD creates them on first use. */
const PREFIX = "c_";
/** Tokens of counted steps (see UsageMeter.addAll) are attributes `o_<token>`, beside the counters they guard. */
const ONCE = "o_";

export class DynamoUsageMeter implements UsageMeter {
  constructor(private readonly table: DynamoTable) {}

  async add(tenantId: string, period: string, counter: string, n: number) {
    await this.table.update({ pk: pk.tenant(tenantId), sk: sk.usage(period) }, "ADD #c :n", { names: { "#c": PREFIX + counter }, values: { ":n": n } });
  }

  async addAll(tenantId: string, period: string, counts: Record<string, number>, once?: string) {
    const entries = Object.entries(counts);
    if (!entries.length) return;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    entries.forEach(([counter, n], i) => { names[`#c${i}`] = PREFIX + counter; values[`:n${i}`] = n; });
    const add = `ADD ${entries.map((_, i) => `#c${i} :n${i}`).join(", ")}`;
    if (once === undefined) {
      await this.table.update({ pk: pk.tenant(tenantId), sk: sk.usage(period) }, add, { names, values });
      return;
    }
    try {
      await this.table.update({ pk: pk.tenant(tenantId), sk: sk.usage(period) }, `${add} SET #once = :t`, {
        condition: "attribute_not_exists(#once)", names: { ...names, "#once": ONCE + once }, values: { ...values, ":t": true },
      });
    } catch (err) {
      if (!isConditionFailed(err)) throw err; // counted already, by the try a crash cut short
    }
  }

  async forget(tenantId: string, period: string, once: string) {
    await this.table.update({ pk: pk.tenant(tenantId), sk: sk.usage(period) }, "REMOVE #once", { names: { "#once": ONCE + once } });
  }

  async get(tenantId: string, period: string) {
    const item = await this.table.get({ pk: pk.tenant(tenantId), sk: sk.usage(period) });
    const counts: Record<string, number> = {};
    for (const [k, v] of Object.entries(item ?? {})) if (k.startsWith(PREFIX)) counts[k.slice(PREFIX.length)] = Number(v);
    return counts;
  }
}
