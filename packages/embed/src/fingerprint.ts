import { createHash } from "node:crypto";

/** Same service and same masked text: the same problem, found with one key lookup. */
export const fingerprint = (service: string, masked: string): string =>
  createHash("sha256").update(service).update("\n").update(masked).digest("hex").slice(0, 32);
