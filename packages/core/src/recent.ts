/**
 * Sets `key` as the most recently used entry of `map`, evicting the least recently used past `max`:
 * a Map iterates in insertion order, so re-inserting on every use makes it an LRU cache.
 */
export function setRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
  return value;
}

/**
 * Sets `key` in `map`, evicting the oldest insertion past `max`; an update keeps its place. For caches
 * written on every use (an incident on every recurrence), where moving the key to the end each time,
 * as setRecent does, costs more than re-reading the rare hot entry that ages out.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}
