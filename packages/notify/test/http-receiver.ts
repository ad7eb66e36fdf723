import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** A receiver on loopback (127.0.0.1, port 0) standing in for Slack, PagerDuty or a customer's webhook. */

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Drop the connection instead of answering. */
  reset?: boolean;
}

export interface HttpReceiver {
  url: string;
  requests: Received[];
  /** Answers for the next requests, in order; after them every request gets 200 "ok". */
  reply(...replies: Reply[]): void;
  /** Resolves once `n` requests have arrived in total. */
  received(n: number): Promise<Received[]>;
  /** Forgets requests, unused replies and waiters: a test's leftovers must not answer the next test. */
  reset(): void;
  close(): Promise<void>;
}

export const startReceiver = async (): Promise<HttpReceiver> => {
  const requests: Received[] = [];
  const replies: Reply[] = [];
  const waiters: Array<{ n: number; resolve: (r: Received[]) => void }> = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, json: () => JSON.parse(body) });
      for (const w of waiters.filter((w) => requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(requests.slice(0, w.n));
      }
      const reply = replies.shift() ?? { status: 200, body: "ok" };
      if (reply.reset) { req.socket.destroy(); return; }
      res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
      res.end(reply.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...r) => { replies.push(...r); },
    received: (n) => (requests.length >= n ? Promise.resolve(requests.slice(0, n)) : new Promise((resolve) => waiters.push({ n, resolve }))),
    reset: () => { requests.length = 0; replies.length = 0; waiters.length = 0; },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
};
