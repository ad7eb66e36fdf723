import { describe, expect, it } from "vitest";
import { expand } from "../src/analyze";
import { runbookQuery } from "../src/runbook-query";

describe("query expansion", () => {
  it("adds the runbook vocabulary a query word implies", () => {
    expect(expand(["oom"])).toEqual(["memory"]);
  });

  it("treats words that name Object.prototype members as plain words", () => {
    // A Java stack trace says "constructor": the match stage threw on it ("is not iterable") and the alarm went to the DLQ.
    expect(expand(["constructor", "tostring", "__proto__", "hasownproperty", "valueof"])).toEqual([]);
    expect(() => runbookQuery({ error: "NullPointerException in constructor of OrderService", service: "orders", metadata: {} } as never)).not.toThrow();
  });
});
