import type { EmbedderThresholds } from "@ir/core";
import { describe, expect, it } from "vitest";
import { type Candidate, decide } from "../src/decide";

const thresholds: EmbedderThresholds = { merge: 0.95, related: 0.6, runbook: 0.2 };

const candidate = (over: Partial<Candidate> & Pick<Candidate, "incident_id" | "template">): Candidate => ({
  status: "OPEN",
  score: 0.5,
  created_at: "2024-03-01T10:00:00.000Z",
  ...over,
});

describe("decide", () => {
  it("attaches to the fingerprint hit without looking further", () => {
    // prepare
    const hit = candidate({ incident_id: "inc_fp", template: "Payment gateway returned <num>" });
    const other = candidate({ incident_id: "inc_other", template: "Payment gateway returned <num>", score: 0.99 });
    // act
    const d = decide({ masked: "Payment gateway returned <num>", fingerprintHit: hit, candidates: [other], thresholds });
    // assess
    expect(d).toMatchObject({ kind: "attach", method: "fingerprint", score: 1, template: "Payment gateway returned <num>" });
    expect(d.kind === "attach" && d.target.incident_id).toBe("inc_fp");
  });

  describe.each([
    ["a value seen as a word before", "Disk full on volume data", "Disk full on volume <path>", "Disk full on volume <*>"],
    ["a user name", "Password expired for user carol", "Password expired for user dave", "Password expired for user <*>"],
    ["an optional value", "Uploaded <num> files to <host>", "Uploaded <num> files (<num>) to <host>", "Uploaded <num> files <*> to <host>"],
  ])("template match: %s", (_name, template, masked, merged) => {
    it("attaches by template and generalizes the target's template", () => {
      // prepare
      const target = candidate({ incident_id: "inc_1", template, score: 0.7 });
      // act
      const d = decide({ masked, fingerprintHit: null, candidates: [target], thresholds });
      // assess
      expect(d.kind).toBe("attach");
      if (d.kind !== "attach") return;
      expect(d.method).toBe("template");
      expect(d.target.incident_id).toBe("inc_1");
      expect(d.template).toBe(merged);
      expect(d.score).toBeGreaterThan(0.75);
      expect(d.score).toBeLessThanOrEqual(1);
    });
  });

  it("opens a new incident for a different event and lists the near one as related", () => {
    // prepare
    const near = candidate({ incident_id: "inc_read", template: "Replica <host> lag above <duration> on read path", score: 0.82 });
    // act
    const d = decide({ masked: "Replica <host> lag above <duration> on write path", fingerprintHit: null, candidates: [near], thresholds });
    // assess
    expect(d).toMatchObject({ kind: "new", method: "none", template: "Replica <host> lag above <duration> on write path" });
    expect(d.related).toEqual([{ incident_id: "inc_read", similarity: 0.82 }]);
  });

  it("opens a new incident with no related ones when nothing is close", () => {
    // prepare
    const far = candidate({ incident_id: "inc_far", template: "Certificate for <host> expires in <duration>", score: 0.1 });
    // act
    const d = decide({ masked: "Queue orders backlog above <num>", fingerprintHit: null, candidates: [far], thresholds });
    // assess
    expect(d.kind).toBe("new");
    expect(d.related).toEqual([]);
    expect(d.score).toBeLessThan(0.5);
  });

  it("prefers the open regression over the resolved incident it reopened", () => {
    // prepare: the regression's template has since grown a wildcard, so the resolved one matches better; being
    // newer, the regression would win any tie anyway, so only a worse match shows that OPEN comes first.
    const resolved = candidate({ incident_id: "inc_old", status: "RESOLVED", template: "Node <host> not ready", created_at: "2024-01-01T00:00:00.000Z", score: 0.9 });
    const regression = candidate({ incident_id: "inc_new", status: "OPEN", template: "Node <host> not ready <*>", created_at: "2024-02-01T00:00:00.000Z", score: 0.9 });
    // act
    const d = decide({ masked: "Node <ip> not ready", fingerprintHit: null, candidates: [resolved, regression], thresholds });
    // assess
    expect(d.kind === "attach" && d.target.incident_id).toBe("inc_new");
  });

  it("among equal open matches prefers the newest", () => {
    // prepare
    const older = candidate({ incident_id: "inc_a", template: "Job <id> stuck", created_at: "2024-01-01T00:00:00.000Z" });
    const newer = candidate({ incident_id: "inc_b", template: "Job <id> stuck", created_at: "2024-01-02T00:00:00.000Z" });
    // act
    const d = decide({ masked: "Job <id> stuck", fingerprintHit: null, candidates: [older, newer], thresholds });
    // assess
    expect(d.kind === "attach" && d.target.incident_id).toBe("inc_b");
  });

  it("attaches to a resolved incident when it is the only match (the caller opens the regression)", () => {
    // prepare
    const resolved = candidate({ incident_id: "inc_done", status: "RESOLVED", template: "Backup of <path> failed" });
    // act
    const d = decide({ masked: "Backup of <path> failed", fingerprintHit: null, candidates: [resolved], thresholds });
    // assess
    expect(d).toMatchObject({ kind: "attach", method: "template" });
    expect(d.kind === "attach" && d.target.status).toBe("RESOLVED");
  });

  it("moves a fingerprint hit on a resolved incident to its newer open successor", () => {
    // prepare
    const resolved = candidate({ incident_id: "inc_old", status: "RESOLVED", template: "Backup of <path> failed", created_at: "2024-01-01T00:00:00.000Z" });
    const successor = candidate({ incident_id: "inc_new", template: "Backup of <path> failed", created_at: "2024-02-01T00:00:00.000Z" });
    // act
    const d = decide({ masked: "Backup of <path> failed", fingerprintHit: resolved, candidates: [successor, resolved], thresholds });
    // assess
    expect(d).toMatchObject({ kind: "attach", method: "template" });
    expect(d.kind === "attach" && d.target.incident_id).toBe("inc_new");
  });

  it("merges by vector when only the word order differs", () => {
    // prepare: logfmt fields in another order, a cosine above the merge threshold
    const target = candidate({ incident_id: "inc_kv", template: "svc=billing op=charge err=timeout", score: 0.97 });
    // act
    const d = decide({ masked: "op=charge err=timeout svc=billing", fingerprintHit: null, candidates: [target], thresholds });
    // assess
    expect(d).toMatchObject({ kind: "attach", method: "vector", score: 0.97 });
  });

  it("does not merge by vector when a word differs, however high the cosine", () => {
    // prepare
    const target = candidate({ incident_id: "inc_x", template: "Link training failed on lane x+", score: 0.99 });
    // act
    const d = decide({ masked: "Link training failed on lane y+", fingerprintHit: null, candidates: [target], thresholds });
    // assess
    expect(d.kind).toBe("new");
    expect(d.related.map((r) => r.incident_id)).toEqual(["inc_x"]);
  });

  it("lists at most five related incidents, best first, without the target", () => {
    // prepare
    const target = candidate({ incident_id: "inc_t", template: "Pod <id> evicted", score: 0.9 });
    const others = [0.61, 0.8, 0.7, 0.65, 0.75, 0.9].map((score, i) => candidate({ incident_id: `inc_${i}`, template: `Unrelated event number ${i}`, score }));
    // act
    const d = decide({ masked: "Pod <id> evicted", fingerprintHit: null, candidates: [target, ...others], thresholds });
    // assess
    expect(d.kind === "attach" && d.target.incident_id).toBe("inc_t");
    expect(d.related.map((r) => r.similarity)).toEqual([0.9, 0.8, 0.75, 0.7, 0.65]);
    expect(d.related.some((r) => r.incident_id === "inc_t")).toBe(false);
  });

  it("opens a new incident when there are no candidates", () => {
    // act
    const d = decide({ masked: "First ever alarm", fingerprintHit: null, candidates: [], thresholds });
    // assess
    expect(d).toEqual({ kind: "new", method: "none", score: 0, template: "First ever alarm", related: [] });
  });
});
