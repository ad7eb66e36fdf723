import { randomBytes } from "node:crypto";

/** Time and identity enter the domain only through these, so decisions are testable with fakes. */
export interface Clock { now(): Date }
export type NewId = (prefix: string) => string;

export const systemClock: Clock = { now: () => new Date() };

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
/** One getrandom call per 256 ids instead of one per id: ids are minted several times per alarm. */
let pool = Buffer.alloc(0);
let offset = 0;
const random10 = () => {
  if (offset + 10 > pool.length) { pool = randomBytes(2560); offset = 0; }
  offset += 10;
  return pool.subarray(offset - 10, offset);
};
/** Time-ordered ids: a base36 millisecond prefix keeps "newest first" listings a plain index scan. */
export const newId: NewId = (prefix) => {
  const time = Date.now().toString(36).padStart(9, "0");
  const bytes = random10();
  let rand = "";
  for (const b of bytes) rand += ALPHABET[b % 36];
  return `${prefix}_${time}${rand}`;
};
