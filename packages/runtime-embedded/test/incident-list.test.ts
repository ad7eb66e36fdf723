import { describe, expect, it } from "vitest";
import type { Incident } from "@ir/core";
import { incident } from "../../runtime-aws/test/support/factories";
import { useTempStores } from "./temp-store";

const DAY_MS = 86_400_000;
const T0 = Date.parse("2031-01-01T00:00:00.000Z");

describe("listing incidents created before a time", () => {
  const store = useTempStores("list");

  it("starts at the bound, newest first, and pages on from there", async () => {
    const { db, ports } = store();
    const at = (d: number) => new Date(T0 + d * DAY_MS).toISOString();
    for (let d = 0; d < 10; d++) await ports.incidents.put(incident("t1", `inc_${d}`, { created_at: at(d), service: d % 2 ? "api" : "db" }) as Incident);

    const first = await ports.incidents.list("t1", { limit: 2, created_before: at(5) });
    expect(first.items.map((i) => i.incident_id)).toEqual(["inc_4", "inc_3"]);
    const rest = await ports.incidents.list("t1", { limit: 10, created_before: at(5), cursor: first.next_cursor! });
    expect(rest.items.map((i) => i.incident_id)).toEqual(["inc_2", "inc_1", "inc_0"]);
    expect((await ports.incidents.list("t1", { limit: 10, created_before: at(5), service: "api" })).items.map((i) => i.incident_id)).toEqual(["inc_3", "inc_1"]);
    expect((await ports.incidents.list("t1", { limit: 10 })).items).toHaveLength(10);
    db.close();
  });
});
