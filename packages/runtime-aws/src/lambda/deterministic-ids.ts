import { createHash } from "node:crypto";
import type { NewId } from "@ir/core";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * Ids for the work done on one event, derived from the event instead of drawn at random: the n-th id with a
 * given prefix is the same on every delivery of the event. A redelivery after a crash then writes to the
 * incident (or alarm) the first attempt started, instead of opening a second one beside a half-written first.
 * Same shape as core's `newId`: a base36 time prefix (the event's time) keeps listings ordered.
 */
export const deterministicIds = (seed: string, atIso: string): NewId => {
  const at = Date.parse(atIso);
  const time = (Number.isNaN(at) ? Date.now() : at).toString(36).padStart(9, "0");
  const issued = new Map<string, number>();
  return (prefix) => {
    const n = issued.get(prefix) ?? 0;
    issued.set(prefix, n + 1);
    const digest = createHash("sha256").update(`${seed}\0${prefix}\0${n}`).digest();
    let rand = "";
    for (let i = 0; i < 10; i++) rand += ALPHABET[digest[i] % 36];
    return `${prefix}_${time}${rand}`;
  };
};
