import { describe, expect, it } from "vitest";
import { BadRequest } from "@ir/core";
import { decodeCursor, encodeCursor } from "../src/cursor";

describe("listing cursors", () => {
  it("reads back what a listing returned", () => {
    expect(decodeCursor(encodeCursor("inc#inc_0mx2zbmqd"), "inc#")).toBe("inc#inc_0mx2zbmqd");
    expect(decodeCursor(undefined, "inc#")).toBeUndefined();
  });

  it("refuses a cursor from another listing or a forged one, rather than starting over", () => {
    for (const cursor of [encodeCursor("audit#2031"), encodeCursor("inc#"), "x", "%00"]) {
      expect(() => decodeCursor(cursor, "inc#"), cursor).toThrow(BadRequest);
    }
  });
});
