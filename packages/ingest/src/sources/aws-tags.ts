/**
 * AWS spells tags three ways depending on the API that produced them: a plain map, `[{Key, Value}]`
 * (CloudFormation, tagging API) and `[{key, value}]` (some event payloads). Read all three, keys
 * lower-cased, so `Service` and `service` are the same tag.
 */
export const readAwsTags = (...sources: unknown[]): Map<string, string> => {
  const tags = new Map<string, string>();
  const put = (key: unknown, value: unknown) => {
    if (typeof key !== "string" || (typeof value !== "string" && typeof value !== "number")) return;
    const name = key.trim().toLowerCase();
    // The first source wins: callers pass the most specific place first.
    if (name && !tags.has(name)) tags.set(name, String(value).trim());
  };
  for (const source of sources) {
    if (Array.isArray(source)) {
      for (const entry of source) {
        if (entry && typeof entry === "object") {
          const e = entry as Record<string, unknown>;
          put(e.Key ?? e.key ?? e.Name ?? e.name, e.Value ?? e.value);
        }
      }
    } else if (source && typeof source === "object") {
      for (const [key, value] of Object.entries(source)) put(key, value);
    }
  }
  return tags;
};
