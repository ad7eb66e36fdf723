import { describe, expect, it } from "vitest";
import { TEMPLATE_MERGE, TEMPLATE_RELATED } from "../src/decide";
import { MAX_ALIGN_CELLS, mergeTemplate, sameWords, templateSimilarity } from "../src/template";

describe("templateSimilarity", () => {
  describe.each([
    ["identical", "Cache miss for key <num>", "Cache miss for key <num>"],
    ["placeholders of different types", "Lost contact with <ip> after <duration>", "Lost contact with <host> after <time>"],
    ["a wildcard from mining against a value", "Lost contact with <*> after <duration>", "Lost contact with <ip> after <duration>"],
    ["identifiers of the same shape", "Evicting shard_<num>_<id> from memory", "Evicting shard_<num>_<hex> from memory"],
    ["a user name after a slot noun", "Session opened for user alice by sshd", "Session opened for user bob by sshd"],
    ["an optional value", "Sent <num> bytes to <ip> in <duration>", "Sent <num> bytes (<num>) to <ip> in <duration>"],
    ["fields in the same order with other values", "pool=<num> active=<num> idle=<num> waiting=<num>", "pool=<num> active=<num> idle=<num> waiting=<*>"],
    ["a prefix of values one sender adds", "Handler timed out after <duration>", "<date> <uuid> Handler timed out after <duration>"],
    ["a word of an identifier's shape (an all-letter pod suffix)", "OutOfMemoryError in worker <num> (pod web-<id>)", "OutOfMemoryError in worker <num> (pod web-bcaaa)"],
    ["a word of an identifier's shape (a Kubernetes suffix)", "OutOfMemoryError in worker <num> (pod web-<id>)", "OutOfMemoryError in worker <num> (pod web-xkzqp)"],
  ])("same event: %s", (_name, a, b) => {
    it("scores at or above the merge threshold", () => {
      // act
      const sim = templateSimilarity(a, b);
      // assess
      expect(sim).toBeGreaterThanOrEqual(TEMPLATE_MERGE);
      expect(sim).toBeLessThanOrEqual(1);
    });
  });

  describe.each([
    ["one differing word", "Stored block <num> as bytes in memory (size <num>)", "Stored block <num> as values in memory (size <num>)"],
    ["a differing first word", "Inode cache hash table entries: <num>", "Dentry cache hash table entries: <num>"],
    ["a differing second word", "Changing read permissions to: admin", "Changing write permissions to: admin"],
    ["a field spelled as a different word", "check finished state=OK target=<ip> code=<num>", "check finished state=CRITICAL target=<ip> code=<num>"],
    ["an extra clause of words", "Corrected <num> memory errors on bank <num>", "Corrected <num> memory errors on bank <num> over <duration>"],
    ["a different error at the end", "Read failed on socket <ip>, Connection reset by peer", "Read failed on socket <ip>, Broken pipe while writing"],
    ["a short message with a different word", "Interface up", "Interface down"],
    ["singular against plural", "PAM <num> more authentication failure; rhost=<ip>", "PAM <num> more authentication failures; rhost=<ip>"],
    ["a word that only starts like an identifier", "OOMKilled container web-<id> in namespace prod", "OOMKilled container web-frontend in namespace prod"],
    ["a word of an identifier's shape that is a word", "Redirect loop on route-<id> after deploy", "Redirect loop on route-https after deploy"],
  ])("different events: %s", (_name, a, b) => {
    it("scores below the merge threshold", () => {
      // act
      const sim = templateSimilarity(a, b);
      // assess
      expect(sim).toBeLessThan(TEMPLATE_MERGE);
      expect(sim).toBeGreaterThanOrEqual(0);
    });
  });

  it("is symmetric", () => {
    // prepare
    const a = "Worker <num> exited with code <num> after <duration>";
    const b = "Worker <num> exited with signal <num>";
    // act / assess
    expect(templateSimilarity(a, b)).toBeCloseTo(templateSimilarity(b, a), 10);
  });

  it("gives a mostly-wildcard template no free pass", () => {
    // prepare: a template that mining over-generalized
    const template = "<*> <*> <*> failed";
    // act
    const sim = templateSimilarity(template, "Disk quota exceeded failed");
    // assess
    expect(sim).toBeLessThan(TEMPLATE_MERGE);
  });
});

describe("mergeTemplate", () => {
  describe.each([
    ["equal strings", "Cache miss for key <num>", "Cache miss for key <num>", "Cache miss for key <num>"],
    ["a differing word becomes a wildcard", "Session opened for user alice", "Session opened for user bob", "Session opened for user <*>"],
    ["values of different types become a wildcard", "Lost contact with <ip>", "Lost contact with <host>", "Lost contact with <*>"],
    ["values of one type stay typed", "Lost contact with <ip>", "Lost contact with <ip>", "Lost contact with <ip>"],
    ["a field keeps its key", "retry policy=fixed", "retry policy=<num>", "retry policy=<*>"],
    ["an optional value becomes one wildcard", "Sent <num> bytes to <ip>", "Sent <num> bytes (<num>) to <ip>", "Sent <num> bytes <*> to <ip>"],
    ["adjacent differences collapse", "Moved a b to c", "Moved x y to c", "Moved <*> to c"],
    ["identifiers of the same shape lose their value types", "req-<hex> done", "req-<num> done", "req-<*> done"],
    ["an identifier keeps its shape against a word that fits it", "pod web-<id> evicted", "pod web-bcaaa evicted", "pod web-<*> evicted"],
    ["but not against a word that only starts like it", "pod web-<id> evicted", "pod web-frontend evicted", "pod <*> evicted"],
  ])("%s", (_name, a, b, expected) => {
    it("keeps agreeing tokens and generalizes the rest", () => {
      // act
      const merged = mergeTemplate(a, b);
      // assess
      expect(merged).toBe(expected);
    });
  });

  it("compares messages too long to align position by position, in memory that does not grow with their product", () => {
    // prepare: a word inserted early, which alignment forgives and a position-by-position comparison does not
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i % 97}x`);
    const inserted = (w: string[]) => [...w.slice(0, 5), "inserted", ...w.slice(5)].join(" ");
    const short = words(100);
    const long = words(2100).join(" ");
    expect(2101 * 2102).toBeGreaterThan(MAX_ALIGN_CELLS);
    // act + assess
    expect(templateSimilarity(short.join(" "), inserted(short))).toBeGreaterThanOrEqual(TEMPLATE_MERGE);
    expect(templateSimilarity(long, inserted(words(2100)))).toBeLessThan(TEMPLATE_RELATED);
    expect(templateSimilarity(long, `${long} <num>`)).toBeCloseTo(2100 / 2101);
    expect(mergeTemplate(long, `${long} tail`)).toBe(`${long} <*>`);
  });

  it("produces a template that matches both inputs at least as well as they match each other", () => {
    // prepare
    const a = "Job <id> failed on node <host> after <duration>";
    const b = "Job <id> failed on node <ip> after <num> retries";
    // act
    const merged = mergeTemplate(a, b);
    // assess
    expect(templateSimilarity(merged, a)).toBeGreaterThanOrEqual(templateSimilarity(a, b));
    expect(templateSimilarity(merged, b)).toBeGreaterThanOrEqual(templateSimilarity(a, b));
  });
});

describe("sameWords", () => {
  describe.each([
    ["fields reordered", "level=<*> svc=billing op=charge", "op=charge level=<*> svc=billing", true],
    ["values differ only", "Timeout on <ip> after <duration>", "Timeout on <host> after <num>", true],
    ["a word differs", "Timeout on <ip> reading", "Timeout on <ip> writing", false],
  ])("%s", (_name, a, b, expected) => {
    it(`is ${expected}`, () => {
      expect(sameWords(a, b)).toBe(expected);
    });
  });
});
