import { generateApiKey, hashKey } from "@ir/core";
import type { Db } from "./db";

/**
 * The admin key is never stored: from IR_ADMIN_KEY, or generated on first start, printed once, and only
 * its hash kept. Returns the hash, and the key itself only when it was just generated.
 */
export function adminKeyHash(db: Db, fromEnv: string | undefined): { hash: string; generated?: string } {
  if (fromEnv) return { hash: hashKey(fromEnv) };
  const row = db.prepare("SELECT value FROM meta WHERE key = 'admin_key_hash'").get() as { value: string } | undefined;
  if (row) return { hash: row.value };
  const key = generateApiKey().replace("ir_live_", "ir_admin_");
  db.prepare("INSERT INTO meta (key, value) VALUES ('admin_key_hash', ?)").run(hashKey(key));
  return { hash: hashKey(key), generated: key };
}
