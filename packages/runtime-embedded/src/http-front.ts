import { Worker } from "node:worker_threads";
import { MAX_BODY_BYTES, type ApiHandler, type ApiResponse } from "@ir/api";
import type { Logger } from "@ir/core";

/** What the HTTP thread hands over: parsed requests, in batches (see http-thread.mjs). */
interface Forwarded {
  id: number;
  requestId: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | undefined>;
  body: string;
  remoteAddress?: string;
}
type FromThread = { type: "requests"; list: Forwarded[] } | { type: "warn"; fields: Record<string, unknown>; msg: string } | { type: "listening"; port: number } | { type: "failed"; message: string; code?: string };

export interface HttpFront {
  port: number;
  /** The thread serving now (another one after a restart). */
  readonly thread: Worker;
  /** Stop taking requests, answer those in flight for up to `drainMs`, then stop the thread. */
  close(drainMs?: number): Promise<void>;
}

interface Answer { id: number; status: number; headers: Record<string, string>; body: string }

const internal: ApiResponse = { status: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: { code: "internal", message: "internal error" } }) };

/**
 * node:http on a worker thread in front of the framework-neutral API handler. Parsing requests and writing
 * responses is a fifth of the work of an accepted alarm; on its own thread it runs on the second core
 * while this one decides. The store, the queue and the API handler stay here, on one thread, as before.
 * A thread that dies is started again on the same port: requests in flight are lost with their
 * connections (the client retries), work already accepted is in the store.
 */
export async function serveHttp(api: ApiHandler, log: Logger, host: string, port: number): Promise<HttpFront> {
  let closing = false;
  let worker!: Worker;
  /**
   * Answers released by one group commit (~20 at 32 clients) leave as one message, posted from a microtask:
   * before the next task, so none waits behind the next commit.
   */
  const outboxes = new Map<Worker, Answer[]>();
  const reply = (to: Worker, a: Answer) => {
    const box = outboxes.get(to);
    if (box) { box.push(a); return; }
    outboxes.set(to, [a]);
    queueMicrotask(() => { const list = outboxes.get(to)!; outboxes.delete(to); to.postMessage({ type: "responses", list }); });
  };

  /** Answers go to the thread that asked: one started after a crash numbers its requests from 1 again. */
  const answer = async (m: Forwarded, from: Worker) => {
    let out: ApiResponse;
    try {
      out = await api({ method: m.method, path: m.path, query: new URLSearchParams(m.query), headers: m.headers, body: m.body, remoteAddress: m.remoteAddress });
    } catch (err) {
      log.error({ err, request_id: m.requestId }, "unhandled error");
      out = internal;
    }
    reply(from, { id: m.id, status: out.status, headers: out.headers, body: out.body });
    log.debug({ request_id: m.requestId, method: m.method, path: m.path, status: out.status }, "request");
  };

  const start = (at: number) => new Promise<number>((resolve, reject) => {
    const w = (worker = new Worker(new URL("./http-thread.mjs", import.meta.url), { workerData: { host, port: at, maxBodyBytes: MAX_BODY_BYTES } }));
    let listening = false;
    w.on("message", (m: FromThread) => {
      if (m.type === "requests") for (const r of m.list) void answer(r, w);
      else if (m.type === "warn") log.warn(m.fields, m.msg);
      else if (m.type === "listening") { listening = true; resolve(m.port); }
      else { reject(Object.assign(new Error(`cannot listen on ${host}:${at}: ${m.message}`), { code: m.code })); void w.terminate(); }
    });
    w.on("error", (err) => { if (!listening) reject(err); else log.error({ err }, "HTTP thread failed"); });
    w.on("exit", (code) => {
      if (closing || !listening) return;
      log.error({ code }, "HTTP thread exited; starting it again");
      void start(bound).catch((err) => log.error({ err }, "cannot restart the HTTP thread: no longer serving HTTP"));
    });
  });

  const bound = await start(port);
  return {
    port: bound,
    get thread() { return worker; },
    close: (drainMs = 5_000) => new Promise<void>((resolve) => {
      closing = true;
      worker.once("exit", () => resolve());
      worker.postMessage({ type: "close", drainMs });
    }),
  };
}
