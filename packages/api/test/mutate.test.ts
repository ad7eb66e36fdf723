import { describe, expect, it } from "vitest";
import { ChangedConcurrently, Conflict, type Ports } from "@ir/core";
import { mutate, type Deps } from "../src/deps";

const deps = { exclusive: (fn: (p: Ports) => Promise<unknown>) => fn({ tenants: { get: async (id: string) => ({ tenant_id: id }) } } as unknown as Ports) } as unknown as Deps;

describe("mutate", () => {
  it("redoes a mutation that lost its optimistic lock to a pipeline write, from fresh reads", async () => {
    let runs = 0;
    const out = await mutate(deps, "t1", async () => {
      if (++runs < 3) throw new ChangedConcurrently("incident inc_1 was changed concurrently");
      return "done";
    });
    expect(out).toBe("done");
    expect(runs).toBe(3);
  });

  it("answers any other conflict at once, and gives up on a lock it keeps losing", async () => {
    let runs = 0;
    await expect(mutate(deps, "t1", async () => { runs++; throw new Conflict("incident already resolved"); })).rejects.toThrow("already resolved");
    expect(runs).toBe(1);
    runs = 0;
    await expect(mutate(deps, "t1", async () => { runs++; throw new ChangedConcurrently("busy"); })).rejects.toBeInstanceOf(ChangedConcurrently);
    expect(runs).toBe(5);
  });
});
