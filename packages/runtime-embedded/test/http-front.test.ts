import { createServer, request } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ApiHandler } from "@ir/api";
import { createLogger } from "../src/logger";
import { serveHttp, type HttpFront } from "../src/http-front";

const lines: Array<{ level: number; msg: string }> = [];
const log = createLogger("info", { write: (s: string) => { for (const l of s.split("\n").filter(Boolean)) lines.push(JSON.parse(l)); } } as never);

const echo: ApiHandler = async (req) => ({
  status: 200, headers: { "content-type": "application/json" },
  body: JSON.stringify({ method: req.method, path: req.path, q: req.query.get("q"), body: req.body, auth: req.headers.authorization, from: req.remoteAddress }),
});

/** Raw HTTP, so that a test controls exactly what goes on the wire. */
const send = (port: number, method: string, path: string, body = "", headers: Record<string, string> = {}) =>
  new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { "content-length": Buffer.byteLength(body), ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });

const canConnect = (port: number) => new Promise<boolean>((resolve) => {
  const socket = connect(port, "127.0.0.1", () => { socket.destroy(); resolve(true); }).on("error", () => resolve(false));
});

describe("HTTP on its own thread", () => {
  const fronts: HttpFront[] = [];
  afterEach(async () => { await Promise.all(fronts.splice(0).map((f) => f.close())); lines.length = 0; });
  const serve = async (api: ApiHandler) => { const f = await serveHttp(api, log, "127.0.0.1", 0); fronts.push(f); return f; };

  it("hands the API handler the whole request and writes back its answer with the request id", async () => {
    const { port } = await serve(echo);
    const r = await send(port, "POST", "/api/v1/incidents?q=a%20b", '{"error":"x"}', { authorization: "Bearer k", "x-request-id": "req-1" });
    expect(r.status).toBe(200);
    expect(r.headers["x-request-id"]).toBe("req-1");
    expect(JSON.parse(r.body)).toEqual({ method: "POST", path: "/api/v1/incidents", q: "a b", body: '{"error":"x"}', auth: "Bearer k", from: "127.0.0.1" });
  });

  it("answers many concurrent requests, each with its own answer", async () => {
    const { port } = await serve(echo);
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => send(port, "POST", `/r/${i}`, String(i), { "x-request-id": `q${i}` })));
    rs.forEach((r, i) => { expect(r.headers["x-request-id"]).toBe(`q${i}`); expect(JSON.parse(r.body)).toMatchObject({ path: `/r/${i}`, body: String(i) }); });
  });

  it("on close, stops taking requests but answers those in flight, then stops", async () => {
    let release!: () => void, reached!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inHandler = new Promise<void>((r) => (reached = r));
    const front = await serveHttp(async (req) => { reached(); await gate; return echo(req); }, log, "127.0.0.1", 0);
    const inFlight = send(front.port, "POST", "/slow", "x");
    // Closed before it is in flight, the request would be an idle connection's, and dropped at once.
    await inHandler;
    const closed = front.close(5_000);
    await expect.poll(() => canConnect(front.port), { timeout: 5000 }).toBe(false);
    release();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.headers.connection).toBe("close");
    await closed;
  });

  it("on close, gives up on a request still unanswered at the deadline", async () => {
    let reached!: () => void;
    const inHandler = new Promise<void>((r) => (reached = r));
    const front = await serveHttp(() => { reached(); return new Promise(() => {}); }, log, "127.0.0.1", 0);
    const inFlight = send(front.port, "GET", "/never").then(() => "answered", (err: Error) => err.message);
    await inHandler;
    const t0 = Date.now();
    await front.close(300);
    const took = Date.now() - t0;
    // Not before the deadline: the request was waited for; not long after it: it was given up, not waited out.
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(10_000);
    expect(await inFlight).toBe("socket hang up");
  });

  // Bodies over the limit (413) are covered through the whole server in test/api/bad-input.test.ts.
  it("answers a handler that throws with a 500 and keeps serving", async () => {
    const { port } = await serve(async (req) => { if (req.path === "/boom") throw new Error("bug"); return echo(req); });
    const boom = await send(port, "GET", "/boom");
    expect(boom.status).toBe(500);
    expect(JSON.parse(boom.body).error.code).toBe("internal");
    expect((await send(port, "GET", "/after")).status).toBe(200);
  });

  it("starts a thread that died again, on the same port", async () => {
    const front = await serve(echo);
    const first = front.thread;
    await first.terminate();
    await expect.poll(() => front.thread !== first && lines.some((l) => l.msg.includes("starting it again")), { timeout: 5000 }).toBe(true);
    await expect.poll(() => send(front.port, "GET", "/back").then((r) => r.status, () => 0), { timeout: 5000 }).toBe(200);
  });

  it("delivers an answer only to the thread that asked: a restarted one numbers its requests afresh", async () => {
    const release = new Map<string, () => void>();
    const held = (path: string) => new Promise<void>((r) => release.set(path, r));
    const front = await serve(async (req) => { if (req.path.startsWith("/asked")) await held(req.path); return echo(req); });
    const lost = send(front.port, "GET", "/asked-the-old-thread").catch(() => null);
    await expect.poll(() => release.has("/asked-the-old-thread")).toBe(true);
    const first = front.thread;
    await first.terminate();
    // Listening again: a bare connection, so that the next request is the new thread's first, numbered like the old one's.
    await expect.poll(() => canConnect(front.port), { timeout: 5000 }).toBe(true);
    const asked = send(front.port, "GET", "/asked-the-new-thread");
    await expect.poll(() => release.has("/asked-the-new-thread")).toBe(true);
    release.get("/asked-the-old-thread")!();
    await lost;
    await new Promise((r) => setTimeout(r, 50));
    release.get("/asked-the-new-thread")!();
    expect(JSON.parse((await asked).body).path).toBe("/asked-the-new-thread");
  });

  it("fails to start with the address in the message when the port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(serveHttp(echo, log, "127.0.0.1", port)).rejects.toThrow(`cannot listen on 127.0.0.1:${port}`);
    } finally {
      taken.close();
    }
  });
});
