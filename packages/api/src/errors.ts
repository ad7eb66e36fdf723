import { DomainError } from "@ir/core";
import type { z } from "zod";
import { json } from "./router";
import type { ApiResponse } from "./types";

const isZodError = (e: unknown): e is z.ZodError => typeof e === "object" && e !== null && (e as { name?: string }).name === "ZodError" && Array.isArray((e as z.ZodError).issues);

export const describeZod = (e: z.ZodError, prefix = "") =>
  e.issues.slice(0, 5).map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join(".") || "body"}: ${i.message}`).join("; ");

/** The one place errors become HTTP: domain errors keep their status; anything unexpected is a logged 500 with no detail. */
export function toResponse(err: unknown, log: (e: unknown) => void): ApiResponse {
  if (err instanceof DomainError) return json(err.status, { error: { code: err.code, message: err.message } }, err.headers);
  if (isZodError(err)) return json(400, { error: { code: "invalid_request", message: describeZod(err) } });
  log(err);
  return json(500, { error: { code: "internal", message: "internal error" } });
}
