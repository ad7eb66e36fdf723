import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const xmlUnescape = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&apos;/g, "'").replace(/&amp;/g, "&");

const readBody = (req: IncomingMessage) => new Promise<Buffer>((resolve, reject) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => resolve(Buffer.concat(chunks)));
  req.on("error", reject);
});

/**
 * fauxqs keeps no object tags (its README lists tagging as unsupported), and the retention tag is what the bucket's
 * lifecycle rules expire by. This loopback proxy sits in front of fauxqs's S3 and adds exactly that: it remembers
 * the `x-amz-tagging` of each PutObject (an overwrite without one clears them, as in S3), forgets them when the
 * object is deleted (DeleteObject, DeleteObjects), and answers GetObjectTagging. Everything else is forwarded as is.
 */
export async function startS3TaggingProxy(s3Endpoint: string) {
  const upstream = new URL(s3Endpoint);
  const tags = new Map<string, Array<{ Key: string; Value: string }>>();

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://proxy");
      // Path-style only (the runtime forces it when the endpoint is overridden): /<bucket>/<key>.
      const [, bucket = "", ...rest] = url.pathname.split("/");
      const objectKey = `${decodeURIComponent(bucket)}/${rest.map(decodeURIComponent).join("/")}`;
      const isObject = rest.length > 0 && rest.join("/") !== "";
      const body = await readBody(req);

      if (isObject && url.searchParams.has("tagging") && req.method === "GET") {
        const set = (tags.get(objectKey) ?? []).map((t) => `<Tag><Key>${xmlEscape(t.Key)}</Key><Value>${xmlEscape(t.Value)}</Value></Tag>`).join("");
        res.writeHead(200, { "content-type": "application/xml" });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${set}</TagSet></Tagging>`);
        return;
      }
      if (isObject && req.method === "PUT" && !url.searchParams.has("uploadId")) {
        const header = req.headers["x-amz-tagging"];
        const parsed = typeof header === "string" ? [...new URLSearchParams(header)].map(([Key, Value]) => ({ Key, Value })) : [];
        tags.set(objectKey, parsed);
      }
      if (isObject && req.method === "DELETE") tags.delete(objectKey);
      if (!isObject && req.method === "POST" && url.searchParams.has("delete")) {
        for (const m of body.toString("utf8").matchAll(/<Key>([^<]*)<\/Key>/g)) tags.delete(`${decodeURIComponent(bucket)}/${xmlUnescape(m[1])}`);
      }

      const forwarded = request({
        host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: upstream.host },
      }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forwarded.on("error", (err) => { res.writeHead(502); res.end(String(err)); });
      forwarded.end(body);
    } catch (err) {
      res.writeHead(500);
      res.end(String(err));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tags,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
