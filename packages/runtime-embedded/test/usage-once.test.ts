import { describe, expect, it } from "vitest";
import { useTempStores } from "./temp-store";

describe("usage counters added once per token", () => {
  const store = useTempStores("usage");

  it("counts a step once until its token is forgotten, and never lists the token as a counter", async () => {
    const { db, ports, writer, inTransaction } = store();
    const add = () => ports.usage.addAll("t1", "2031-01-01", { "resolved|api": 1, "ttr_sum|api": 60 }, "inc_1:resolve");
    await add();
    await add();
    // Inside a transaction, through the write-back, as the pipeline adds.
    await writer.exclusive(() => inTransaction.usage.addAll("t1", "2031-01-01", { "resolved|api": 1 }, "inc_1:resolve"));
    expect(await ports.usage.get("t1", "2031-01-01")).toEqual({ "resolved|api": 1, "ttr_sum|api": 60 });
    await ports.usage.forget("t1", "2031-01-01", "inc_1:resolve");
    expect(db.prepare("SELECT COUNT(*) AS n FROM usage WHERE counter LIKE '%once%'").get()).toEqual({ n: 0 });
    await add();
    expect((await ports.usage.get("t1", "2031-01-01"))["resolved|api"]).toBe(2);
    db.close();
  });
});
