import { describe, expect, it } from "vitest";
import { makeEvent, type Incident, type NotificationSend, type PipelineEvent, type Ports, type Tenant } from "@ir/core";
import { notifyStage } from "@ir/notify";
import { DynamoKvStore } from "../src/adapters/kv-store";
import type { DynamoTable } from "../src/dynamo-table";
import { pk, sk } from "../src/table";
import { useAwsEnvironment } from "./support/environment";
import { incident } from "./support/factories";

const aws = useAwsEnvironment();

/**
 * The notify queue is a standard queue and a batch's records run at once (runBatch), so two routings of one
 * incident read and write its notify state concurrently. Reads that take a while (as under load) make the
 * interleaving that loses a write certain instead of occasional.
 */
const slowReads = (table: DynamoTable): DynamoTable => Object.assign(Object.create(table) as DynamoTable, {
  get: async (...args: Parameters<DynamoTable["get"]>) => {
    const item = await table.get(...args);
    await new Promise((r) => setTimeout(r, Math.random() * 40));
    return item;
  },
});

describe("notify state on DynamoDB", () => {
  it("concurrent updates of one key lose none of their writes", async () => {
    // prepare
    const kv = new DynamoKvStore(slowReads(aws.ports.table));
    const increment = (key: string) => kv.update<{ n: number }>("t_kv", key, (c) => ({ n: (c?.n ?? 0) + 1 }));
    await kv.put("t_kv", "counter", { n: 0 }); // written before: updates start from a value that has a revision
    // As written before revisions existed: no `rev`, so the first update must write only over "still none".
    const legacy = { pk: pk.tenant("t_kv"), sk: sk.kv("legacy") };
    await aws.ports.table.put({ ...legacy, value: JSON.stringify({ n: 0 }) });
    const untouched = await kv.update<{ n: number }>("t_kv", "legacy", () => undefined);
    expect(await aws.ports.table.get(legacy)).not.toHaveProperty("rev");
    // act
    await Promise.all(Array.from({ length: 8 }, () => increment("counter")));
    await Promise.all(Array.from({ length: 6 }, () => increment("fresh")));
    await Promise.all(Array.from({ length: 6 }, () => increment("legacy")));
    // assess
    expect(await kv.get("t_kv", "counter")).toEqual({ n: 8 });
    expect(await kv.get("t_kv", "fresh")).toEqual({ n: 6 });
    expect(untouched).toEqual({ n: 0 });
    expect(await kv.get("t_kv", "legacy")).toEqual({ n: 6 });
  });

  it("an opening and a recurrence routed at once both count: the resolution still reaches PagerDuty", async () => {
    // prepare: one tenant with PagerDuty; several incidents, each hit by an opening and a duplicate together
    const tenantId = "t_notify_race";
    const tenant: Tenant = {
      tenant_id: tenantId, name: "race", plan: "enterprise", created_at: "2024-01-01T00:00:00Z",
      settings: {
        global_runbooks: true, notifications: { channels: [{ type: "pagerduty", routing_key: "R0UT1NGKEY0123456789" }] }, webhook_secret: "s".repeat(32),
        auto_resolve: true, default_severity: "MEDIUM", cloudwatch_service_from: ["tag"], aws_account_ids: [],
      },
    };
    const docs = new Map<string, Incident>();
    const ports: Ports = {
      ...aws.ports,
      kv: new DynamoKvStore(slowReads(aws.ports.table)),
      tenants: { ...aws.ports.tenants, get: async (id: string) => (id === tenantId ? tenant : null) } as Ports["tenants"],
      incidents: { ...aws.ports.incidents, get: async (_t: string, id: string) => docs.get(id) ?? null } as Ports["incidents"],
    };
    const changed = (cause: string, id: string, change: "opened" | "recurred" | "resolved") =>
      makeEvent("incident.changed", tenantId, cause, { incident_id: id, changes: [change] }, new Date().toISOString());
    const ids = Array.from({ length: 6 }, (_, i) => `inc_race_${i}`);
    for (const id of ids) docs.set(id, incident(tenantId, id, { occurrences: 2 }));
    // act
    const routed = await Promise.all(ids.flatMap((id) => [
      notifyStage(changed(`${id}:a0`, id, "opened"), ports),
      notifyStage(changed(`${id}:a1`, id, "recurred"), ports),
    ]));
    for (const id of ids) docs.set(id, incident(tenantId, id, { occurrences: 2, status: "RESOLVED", resolved_at: new Date().toISOString(), resolved_by: "sre", resolution: "fixed" }));
    const resolves = await Promise.all(ids.map((id) => notifyStage(changed(`${id}:resolve`, id, "resolved"), ports)));
    // assess
    const actions = (events: PipelineEvent[]) => events.map((e) => `${(e.data as NotificationSend).change} ${(e.data as NotificationSend).incident_id}`);
    expect(actions(routed.flat()).sort()).toEqual(ids.map((id) => `opened ${id}`).sort());
    expect(actions(resolves.flat()).sort()).toEqual(ids.map((id) => `resolved ${id}`).sort());
  });
});
