import { BadRequest, type Page } from "@ir/core";

/** Opaque cursors: base64url of the last sort key, so clients cannot build queries out of them. */
export const encodeCursor = (key: unknown[]): string => Buffer.from(JSON.stringify(key)).toString("base64url");
/**
 * A cursor that no listing returned is refused, not read as "from the start": a paging script would then
 * see the first page again and again.
 */
export const decodeCursor = (cursor: string | undefined): unknown[] | null => {
  if (!cursor) return null;
  let v: unknown;
  try { v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")); } catch { /* refused below */ }
  if (!Array.isArray(v) || v.length === 0) throw new BadRequest("cursor: not a next_cursor this listing returned");
  return v;
};

export const pageOf = <R, T>(rows: R[], limit: number, map: (r: R) => T, keyOf: (r: R) => unknown[]): Page<T> => {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  return { items: items.map(map), next_cursor: more && items.length ? encodeCursor(keyOf(items[items.length - 1])) : null };
};
