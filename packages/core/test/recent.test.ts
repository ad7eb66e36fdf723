import { describe, expect, it } from "vitest";
import { setBounded, setRecent } from "../src/recent";

describe("bounded caches", () => {
  it("setRecent evicts the least recently set", () => {
    const m = new Map<string, number>();
    for (const k of ["a", "b", "c"]) setRecent(m, k, 1, 3);
    setRecent(m, "a", 2, 3);
    setRecent(m, "d", 1, 3);
    expect([...m.keys()]).toEqual(["c", "a", "d"]);
  });

  it("setBounded evicts the oldest insertion, and an update keeps its place and its new value", () => {
    const m = new Map<string, number>();
    for (const k of ["a", "b", "c"]) setBounded(m, k, 1, 3);
    setBounded(m, "a", 2, 3);
    expect(m.size).toBe(3);
    setBounded(m, "d", 1, 3);
    expect([...m.entries()]).toEqual([["b", 1], ["c", 1], ["d", 1]]);
    setBounded(m, "c", 5, 3);
    expect(m.get("c")).toBe(5);
    expect(m.size).toBe(3);
  });
});
