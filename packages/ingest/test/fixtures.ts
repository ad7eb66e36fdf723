import { readFileSync } from "node:fs";
import { BadRequest } from "@ir/core";
import type { SourceOptions } from "../src/sources";

/**
 * The real payloads live in `shared/` beside the repository (repoRoot/../shared), not inside it, so the
 * path is resolved from this file: test → ingest → packages → repo root → its parent.
 */
export const readPayload = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../../shared/eval/payloads/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;

export const OPTS: SourceOptions = { serviceFrom: ["tag", "dimension", "alarm_name"], defaultSeverity: "MEDIUM", autoResolve: true };

/** Runs `act` and returns the BadRequest it threw, failing the test on any other outcome. */
export const badRequestOf = (act: () => unknown): BadRequest => {
  try {
    act();
  } catch (error) {
    if (error instanceof BadRequest) return error;
    throw error;
  }
  throw new Error("expected a BadRequest, nothing was thrown");
};
