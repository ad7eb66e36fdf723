import { createServer, type IncomingMessage, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import { MAX_BODY_BYTES, type ApiHandler } from "@ir/api";
import type { Logger } from "@ir/core";

const tooLarge = JSON.stringify({ error: { code: "payload_too_large", message: `body exceeds ${MAX_BODY_BYTES} bytes` } });

/** Read the body, refusing early (413) past the limit instead of buffering whatever a client sends. */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) { resolve(null); req.removeAllListeners("data"); req.resume(); return; }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** node:http around the framework-neutral API handler. */
export function createHttpServer(api: ApiHandler, log: Logger): Server {
  const server = createServer(async (req, res) => {
    const requestId = (typeof req.headers["x-request-id"] === "string" && /^[\w.-]{1,64}$/.test(req.headers["x-request-id"]) ? req.headers["x-request-id"] : randomUUID());
    try {
      const body = await readBody(req);
      if (body === null) {
        res.writeHead(413, { "content-type": "application/json", connection: "close", "x-request-id": requestId }).end(tooLarge);
        return;
      }
      const url = new URL(req.url ?? "/", "http://local");
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
      const out = await api({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers, body, remoteAddress: req.socket.remoteAddress });
      res.writeHead(out.status, { ...out.headers, "x-request-id": requestId }).end(out.body);
      log.debug({ request_id: requestId, method: req.method, path: url.pathname, status: out.status }, "request");
    } catch (err) {
      // Malformed URLs and aborted uploads end here: the client gets a 400, the process keeps going.
      log.warn({ err: (err as Error).message, request_id: requestId }, "bad request");
      if (!res.headersSent) res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "bad_request", message: "malformed request" } }));
    }
  });
  server.on("clientError", (_err, socket) => { if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n"); else socket.destroy(); });
  server.keepAliveTimeout = 65_000;
  return server;
}
