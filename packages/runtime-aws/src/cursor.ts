import { BadRequest } from "@ir/core";

/** Opaque cursors: base64url of the last sort key, so clients cannot build queries out of them. */
export const encodeCursor = (value: string): string => Buffer.from(value, "utf8").toString("base64url");

/**
 * A cursor from another listing (or a forged one) must not reach into another key range; it is refused, not
 * read as "from the start", which would hand a paging script the first page again and again.
 */
export const decodeCursor = (cursor: string | undefined, prefix: string): string | undefined => {
  if (!cursor) return undefined;
  const value = Buffer.from(cursor, "base64url").toString("utf8");
  // Sort keys are short ids; DynamoDB refuses keys over 1,024 bytes with an error that would answer 500.
  if (!value.startsWith(prefix) || value.length === prefix.length || value.length > 512) throw new BadRequest("cursor: not a next_cursor this listing returned");
  return value;
};
