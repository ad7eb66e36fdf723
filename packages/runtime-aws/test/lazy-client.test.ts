import { describe, expect, it } from "vitest";
import { LazyClient } from "../src/sdk/lazy-client";

class FakeClient {
  readonly added: string[] = [];
  middlewareStack = { add: (name: string) => { this.added.push(name); } };
}

describe("LazyClient", () => {
  it("loads the module once, on first use, for concurrent callers", async () => {
    let loads = 0;
    const lazy = new LazyClient(async () => { loads++; return { make: () => new FakeClient() }; }, (sdk) => sdk.make());
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([lazy.use(), lazy.use()]);
    expect(loads).toBe(1);
    expect(a.client).toBe(b.client);
  });

  it("retries a failed import on the next call instead of keeping the failure", async () => {
    let attempt = 0;
    const lazy = new LazyClient(async () => {
      if (++attempt === 1) throw new Error("EIO reading the chunk");
      return { make: () => new FakeClient() };
    }, (sdk) => sdk.make());
    await expect(lazy.use()).rejects.toThrow("EIO");
    await expect(lazy.use()).resolves.toMatchObject({ client: expect.any(FakeClient) });
    expect(attempt).toBe(2);
  });

  it("applies middleware added before the client existed, and after", async () => {
    const lazy = new LazyClient(async () => ({ make: () => new FakeClient() }), (sdk) => sdk.make());
    lazy.middlewareStack.add("early" as never);
    const { client } = await lazy.use();
    lazy.middlewareStack.add("late" as never);
    expect(client.added).toEqual(["early", "late"]);
  });
});
