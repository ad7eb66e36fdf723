// HTTP on its own thread (see http-front.ts). Plain JavaScript on purpose: a worker thread does not inherit
// the tsx loader, and registering it there would add ~250 ms to every start for a file that needs no types.
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";

/** @type {{ host: string, port: number, maxBodyBytes: number }} */
const { host, port, maxBodyBytes } = workerData;
const tooLarge = JSON.stringify({ error: { code: "payload_too_large", message: `body exceeds ${maxBodyBytes} bytes` } });
const malformed = JSON.stringify({ error: { code: "bad_request", message: "malformed request" } });
const REQUEST_ID = /^[\w.-]{1,64}$/;

/** Requests handed to the main thread, by sequence number, until it answers. */
const waiting = new Map();
let seq = 0;
/**
 * Requests parsed in one turn of the event loop go to the main thread as one message, and its answers come
 * back the same way: a message costs both threads a wake-up and a dispatch, whatever it carries.
 */
let outbox = [];
const post = (request) => {
  if (outbox.push(request) === 1) setImmediate(() => { parentPort.postMessage({ type: "requests", list: outbox }); outbox = []; });
};

/** Read the body, refusing early (413) past the limit instead of buffering whatever a client sends. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > maxBodyBytes) return resolve(null);
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > maxBodyBytes) { resolve(null); req.removeAllListeners("data"); req.resume(); return; }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const server = createServer(async (req, res) => {
  const given = req.headers["x-request-id"];
  const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
  try {
    const body = await readBody(req);
    if (body === null) {
      res.writeHead(413, { "content-type": "application/json", connection: "close", "x-request-id": requestId }).end(tooLarge);
      return;
    }
    const url = new URL(req.url ?? "/", "http://local");
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    const id = ++seq;
    waiting.set(id, { res, requestId });
    post({ id, requestId, method: req.method ?? "GET", path: url.pathname, query: url.search, headers, body, remoteAddress: req.socket.remoteAddress });
  } catch (err) {
    // Malformed URLs and aborted uploads end here: the client gets a 400, the process keeps going.
    parentPort.postMessage({ type: "warn", fields: { err: err.message, request_id: requestId }, msg: "bad request" });
    if (!res.headersSent) res.writeHead(400, { "content-type": "application/json" }).end(malformed);
  }
});
server.on("clientError", (_err, socket) => { if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n"); else socket.destroy(); });
server.keepAliveTimeout = 65_000;

let closing = false;
parentPort.on("message", (m) => {
  if (m.type === "responses") {
    for (const r of m.list) {
      const w = waiting.get(r.id);
      if (!w) continue;
      waiting.delete(r.id);
      // While closing, each answer also ends its connection, so the server closes once the last one is out.
      w.res.writeHead(r.status, { ...r.headers, "x-request-id": w.requestId, ...(closing && { connection: "close" }) }).end(r.body);
    }
  } else if (m.type === "close") {
    // Stop taking requests and answer the ones in flight (their alarms may already be committed); a request
    // still unanswered at the deadline loses its connection, and its client retries.
    closing = true;
    const deadline = setTimeout(() => server.closeAllConnections(), m.drainMs);
    server.close(() => { clearTimeout(deadline); parentPort.close(); });
    server.closeIdleConnections();
  }
});

server.once("error", (err) => parentPort.postMessage({ type: "failed", message: err.message, code: err.code }));
server.listen(port, host, () => parentPort.postMessage({ type: "listening", port: server.address().port }));
