import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { hashKey } from "@ir/core";
import { ADMIN_KEY, REPO, startServer, type Client } from "../support/embedded";
import { takeClock } from "../support/clock";

const run = promisify(execFile);

/** Every byte the store keeps on disk: the database, its write-ahead log and the WAL index. */
const storeBytes = (dataDir: string) =>
  Buffer.concat(["ir.db", "ir.db-wal", "ir.db-shm"].map((f) => join(dataDir, f)).filter(existsSync).map((f) => readFileSync(f)));

describe("API key lifecycle: several labelled keys, rotation with overlap, revocation, hashed at rest", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let owner: Client;
  let tenantId: string;
  /** Every raw key this suite saw: none may be on disk. */
  const issued: string[] = [ADMIN_KEY];
  const ir = async (...args: string[]) =>
    (await run(process.execPath, [join(REPO, "packages/runtime-embedded/bin/ir.js"), ...args], { env: { ...process.env, IR_DATA_DIR: srv.dataDir, LOG_LEVEL: "silent" } })).stdout;

  beforeAll(async () => {
    srv = await startServer();
    const t = await srv.client.tenant("keys-co");
    tenantId = t.tenant_id;
    owner = t.client;
    issued.push(t.api_key);
  });
  let closed = false;
  afterAll(async () => {
    if (!closed) await srv.close();
    rmSync(srv.dataDir, { recursive: true, force: true });
  });

  const status = async (key: string) => (await owner.as(key).req("GET", "/api/v1/incidents")).status;

  it("issues several labelled keys, lists them by prefix only, and rotates one with an overlap window", async () => {
    const ci = await owner.req("POST", "/api/v1/keys", { label: "ci" });
    const deploy = await owner.req("POST", "/api/v1/keys", { label: "deploy" });
    expect([ci.status, deploy.status]).toEqual([201, 201]);
    issued.push(ci.body.api_key, deploy.body.api_key);
    const listed = (await owner.req("GET", "/api/v1/keys")).body.keys as Array<Record<string, unknown>>;
    expect(listed.map((k) => k.label).sort()).toEqual(["ci", "default", "deploy"]);
    for (const k of listed) expect(Object.keys(k).sort()).toEqual(["created_at", "expires_at", "key_id", "label", "last_used_at", "prefix"]);
    expect(JSON.stringify(listed)).not.toContain(ci.body.api_key);
    expect(JSON.stringify(listed)).not.toContain(hashKey(ci.body.api_key));

    const clock = takeClock(srv.ports, Date.now());
    const rotated = await owner.req("POST", `/api/v1/keys/${ci.body.key_id}/rotate`, { overlap_seconds: 60 });
    expect(rotated.status).toBe(201);
    issued.push(rotated.body.api_key);
    expect(rotated.body).toMatchObject({ key_id: expect.stringMatching(/^key_/), api_key: expect.stringMatching(/^ir_live_/), old_key_id: ci.body.key_id });
    expect(Date.parse(rotated.body.old_key_expires_at) - clock.now().getTime()).toBe(60_000);

    // Inside the overlap both work, and both are listed, the old one with its expiry.
    expect(await status(ci.body.api_key)).toBe(200);
    expect(await status(rotated.body.api_key)).toBe(200);
    const during = (await owner.req("GET", "/api/v1/keys")).body.keys as Array<{ key_id: string; label: string; expires_at: string | null }>;
    expect(during.filter((k) => k.label === "ci").map((k) => k.expires_at).sort()).toEqual([rotated.body.old_key_expires_at, null].sort());

    clock.advance(59_000);
    expect(await status(ci.body.api_key)).toBe(200);
    clock.advance(1_001);
    expect(await status(ci.body.api_key)).toBe(401);
    expect(await status(rotated.body.api_key)).toBe(200);
    expect(await status(deploy.body.api_key)).toBe(200);
    const after = (await owner.req("GET", "/api/v1/keys")).body.keys as Array<{ key_id: string }>;
    expect(after.map((k) => k.key_id)).not.toContain(ci.body.key_id);
    // An expired key can be neither rotated nor revoked again.
    expect((await owner.req("POST", `/api/v1/keys/${ci.body.key_id}/rotate`, {})).status).toBe(404);
    expect((await owner.req("DELETE", `/api/v1/keys/${ci.body.key_id}`)).status).toBe(404);
    srv.ports.clock = { now: () => new Date() };
  });

  it("rotates by default with a day of overlap, revokes at once, even inside an overlap", async () => {
    const k = await owner.req("POST", "/api/v1/keys", { label: "batch" });
    issued.push(k.body.api_key);
    const r = await owner.req("POST", `/api/v1/keys/${k.body.key_id}/rotate`);
    issued.push(r.body.api_key);
    // A day, not more: the old key's expiry was set before this Date.now(), so at most 86,400,000 ms are left.
    const left = Date.parse(r.body.old_key_expires_at) - Date.now();
    expect(left).toBeGreaterThan(86_000_000);
    expect(left).toBeLessThanOrEqual(86_400_000);
    expect(await status(k.body.api_key)).toBe(200);
    expect((await owner.req("DELETE", `/api/v1/keys/${k.body.key_id}`)).status).toBe(200);
    expect(await status(k.body.api_key)).toBe(401);
    expect(await status(r.body.api_key)).toBe(200);
  });

  it("keeps a rotated key's earlier expiry when it is rotated again inside its overlap", async () => {
    const k = await owner.req("POST", "/api/v1/keys", { label: "leaked" });
    issued.push(k.body.api_key);
    const first = await owner.req("POST", `/api/v1/keys/${k.body.key_id}/rotate`, { overlap_seconds: 300 });
    issued.push(first.body.api_key);
    const again = await owner.req("POST", `/api/v1/keys/${k.body.key_id}/rotate`);
    issued.push(again.body.api_key);
    expect(again.body.old_key_expires_at).toBe(first.body.old_key_expires_at);
  });

  it("refuses to revoke a tenant's last key that does not expire, and says what to do instead", async () => {
    const solo = await srv.client.tenant("solo-key-co");
    issued.push(solo.api_key);
    const [only] = (await solo.client.req("GET", "/api/v1/keys")).body.keys as Array<{ key_id: string }>;
    const refused = await solo.client.req("DELETE", `/api/v1/keys/${only.key_id}`);
    expect(refused).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining("rotate it") } } });
    expect((await solo.client.req("GET", "/api/v1/incidents")).status).toBe(200);
    // With another key, it goes.
    const spare = await solo.client.req("POST", "/api/v1/keys", { label: "spare" });
    issued.push(spare.body.api_key);
    expect((await solo.client.req("DELETE", `/api/v1/keys/${only.key_id}`)).status).toBe(200);
    expect((await solo.client.req("GET", "/api/v1/incidents")).status).toBe(401);
  });

  it("does not let one tenant list, rotate or revoke another's keys", async () => {
    const other = await srv.client.tenant("other-co");
    issued.push(other.api_key);
    const mine = (await owner.req("GET", "/api/v1/keys")).body.keys as Array<{ key_id: string }>;
    const theirs = (await other.client.req("GET", "/api/v1/keys")).body.keys as Array<{ key_id: string }>;
    expect(theirs.map((k) => k.key_id)).not.toContain(mine[0].key_id);
    expect((await other.client.req("DELETE", `/api/v1/keys/${mine[0].key_id}`)).status).toBe(404);
    expect((await other.client.req("POST", `/api/v1/keys/${mine[0].key_id}/rotate`, { overlap_seconds: 0 })).status).toBe(404);
    expect((await owner.req("GET", "/api/v1/keys")).body.keys).toHaveLength(mine.length);
  });

  it("manages keys with `ir keys create|list|rotate|revoke` against a running server", async () => {
    const created = JSON.parse(await ir("keys", "create", "--tenant", tenantId, "--label", "from-cli"));
    issued.push(created.api_key);
    expect(await status(created.api_key)).toBe(200);

    const listed = JSON.parse(await ir("keys", "list", "--tenant", tenantId)).keys as Array<{ key_id: string; label: string; prefix: string }>;
    expect(listed.find((k) => k.key_id === created.key_id)).toMatchObject({ label: "from-cli", prefix: created.api_key.slice(0, 14) });

    const rotated = JSON.parse(await ir("keys", "rotate", created.key_id, "--tenant", tenantId, "--overlap", "0"));
    issued.push(rotated.api_key);
    expect(await status(created.api_key)).toBe(401);
    expect(await status(rotated.api_key)).toBe(200);

    expect(await ir("keys", "revoke", rotated.key_id, "--tenant", tenantId)).toContain(`revoked ${rotated.key_id}`);
    expect(await status(rotated.api_key)).toBe(401);

    // The CLI's key events are in the same audit trail as the API's.
    const actions = ((await owner.req("GET", "/api/v1/audit?limit=1000")).body.events as Array<{ action: string; actor: string }>).filter((e) => e.actor === "cli").map((e) => e.action);
    expect(actions.sort()).toEqual(["key.created", "key.created", "key.revoked", "key.rotated"].sort());
  });

  it("keeps keys only as SHA-256 hashes: no raw key anywhere in the store's files", async () => {
    const live = storeBytes(srv.dataDir);
    await srv.close();
    closed = true;
    const after = storeBytes(srv.dataDir);
    expect(issued.length).toBeGreaterThanOrEqual(10);
    for (const bytes of [live, after]) {
      for (const key of issued) expect(bytes.includes(key), "a raw key is on disk").toBe(false);
      // Looking in the right place: the hashes are there.
      expect(bytes.includes(hashKey(issued[1]))).toBe(true);
    }
  });
});
