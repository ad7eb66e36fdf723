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
