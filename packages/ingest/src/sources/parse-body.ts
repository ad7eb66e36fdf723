import type { z } from "zod";
import { BadRequest } from "@ir/core";

type PathSegment = PropertyKey;

/** `alerts[0].labels`, `detail-type`: the path as a sender would write it when looking at their own JSON. */
export const formatPath = (path: readonly PathSegment[]): string => {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const key = String(segment);
      out += /^[^.[\]\s"]+$/.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return out || "body";
};

const explain = (issue: z.core.$ZodIssue): string => {
  const text = issue.message
    .replace(/^Invalid (input|option): /, "")
    // A JSON sender thinks in objects, not zod records.
    .replace("expected record", "expected object");
  return text.endsWith(", received undefined") ? `missing, ${text.slice(0, -", received undefined".length)}` : text;
};

/**
 * Validates with zod and turns the failure into the one 400 the API knows, naming the offending fields
 * (at most three, so a wholly wrong body does not produce an essay).
 */
export const parseBody = <S extends z.ZodType>(schema: S, body: unknown, prefix: readonly PathSegment[] = []): z.infer<S> => {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 3).map((issue) => `${formatPath([...prefix, ...issue.path])}: ${explain(issue)}`);
  throw new BadRequest(issues.join("; "));
};
