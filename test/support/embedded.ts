import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { startEmbedded, type Embedded, type StartOptions } from "@ir/runtime-embedded";

export const ADMIN_KEY = "test-admin-key-0123456789";
export const REPO = new URL("../../", import.meta.url).pathname;

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `ir-${name}-`));

/** A real embedded runtime on a free loopback port, in this process. */
export async function startServer(dataDir = tempDir("srv"), extra: StartOptions = {}): Promise<Embedded & { client: Client; dataDir: string; stop(): Promise<void> }> {
  const app = await startEmbedded({ dataDir, port: 0, adminKey: ADMIN_KEY, LOG_LEVEL: "silent", ...extra });
  return { ...app, dataDir, client: new Client(app.url), stop: async () => { await app.close(); rmSync(dataDir, { recursive: true, force: true }); } };
}

/** The embedded runtime as its own OS process, for tests that kill -9 it. */
export async function spawnServer(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(REPO, "packages/runtime-embedded/bin/ir.js"), "serve"], {
    env: { ...process.env, PORT: String(port), IR_DATA_DIR: dataDir, IR_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}/healthz`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not become ready");
}

export interface Res<T = any> { status: number; body: T; headers: Headers }

export class Client {
  constructor(readonly base: string, readonly key?: string) {}
  as(key: string) { return new Client(this.base, key); }
  async req<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const res = await fetch(this.base + path, {
      method,
      headers: { "content-type": "application/json", ...(this.key ? { "x-api-key": this.key } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  async tenant(name = "acme", extra: object = {}) {
    const r = await this.req("POST", "/api/v1/admin/tenants", { name, ...extra }, { "x-admin-key": ADMIN_KEY });
    if (r.status !== 201) throw new Error(`tenant create: ${r.status} ${JSON.stringify(r.body)}`);
    return { ...(r.body as { tenant_id: string; api_key: string }), client: this.as(r.body.api_key) };
  }
  report(error: string, service: string, extra: object = {}, query = "?wait=10", headers: Record<string, string> = {}) {
    return this.req("POST", `/api/v1/incidents${query}`, { error, service, ...extra }, headers);
  }
}

/** Run `fn` over items with at most `n` in flight. */
export async function pool<T, R>(items: T[], n: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i], i); }
  }));
  return out;
}
