/** Opaque cursors: base64url of the last sort key, so clients cannot build queries out of them. */
export const encodeCursor = (value: string): string => Buffer.from(value, "utf8").toString("base64url");

export const decodeCursor = (cursor: string | undefined, prefix: string): string | undefined => {
  if (!cursor) return undefined;
  const value = Buffer.from(cursor, "base64url").toString("utf8");
  // A cursor from another listing (or a forged one) must not reach into another key range.
  return value.startsWith(prefix) ? value : undefined;
};
