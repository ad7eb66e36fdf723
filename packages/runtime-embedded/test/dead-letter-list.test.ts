import { describe, expect, it } from "vitest";
import { useTempStores } from "./temp-store";

describe("listing dead letters", () => {
  const store = useTempStores("dl");

  it("lists the newest first (dl_120 before dl_99), page by page, each once", async () => {
    const { db, ports } = store();
    const put = db.prepare("INSERT INTO dead_letters (id, stage, tenant_id, type, body, reason, attempts, failed_at) VALUES (?, 'notify', 't1', 'notification.send', '{}', 'refused', 8, ?)");
    // Two per timestamp, as a batch failing within a millisecond leaves them; the first page ends inside a pair (dl_21 | dl_20).
    for (let i = 1; i <= 120; i++) put.run(`dl_${i}`, new Date(Date.UTC(2031, 0, 1, 0, 0, Math.floor(i / 2))).toISOString());

    const first = await ports.deadLetters.list(null, { limit: 100 });
    const rest = await ports.deadLetters.list(null, { limit: 100, cursor: first.next_cursor ?? undefined });
    const ids = [...first.items, ...rest.items].map((d) => d.id);
    expect(first.items.at(-1)?.id).toBe("dl_21");
    expect(ids).toEqual(Array.from({ length: 120 }, (_, i) => `dl_${120 - i}`));
    expect(new Set(ids).size).toBe(120);
    expect(rest.next_cursor).toBeNull();
    db.close();
  });
});
