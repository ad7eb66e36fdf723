import type { Page } from "@ir/core";

/** Opaque cursors: base64url of the last sort key, so clients cannot build queries out of them. */
export const encodeCursor = (key: unknown[]): string => Buffer.from(JSON.stringify(key)).toString("base64url");
export const decodeCursor = (cursor: string | undefined): unknown[] | null => {
  if (!cursor) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
};

export const pageOf = <R, T>(rows: R[], limit: number, map: (r: R) => T, keyOf: (r: R) => unknown[]): Page<T> => {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  return { items: items.map(map), next_cursor: more && items.length ? encodeCursor(keyOf(items[items.length - 1])) : null };
};
