import { BadRequest, jsonDepthExceeds, MAX_JSON_DEPTH } from "@ir/core";
import type { z } from "zod";
import { describeZod } from "./errors";
import type { ApiRequest } from "./types";

export function parseJson(req: ApiRequest): unknown {
  if (!req.body.trim()) throw new BadRequest("body: expected a JSON object", "invalid_json");
  if (jsonDepthExceeds(req.body)) throw new BadRequest(`body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`, "invalid_json");
  try {
    return JSON.parse(req.body);
  } catch (e) {
    throw new BadRequest(`body is not valid JSON: ${(e as Error).message}`, "invalid_json");
  }
}

export function parseBody<S extends z.ZodType>(req: ApiRequest, schema: S): z.infer<S> {
  const r = schema.safeParse(parseJson(req));
  if (!r.success) throw new BadRequest(describeZod(r.error), "invalid_request");
  return r.data;
}

export function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequest(`${name}: expected an integer from ${min} to ${max}`);
  return n;
}
