import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Attempt { delivery: string; status: number; at: number; payload: any }

/**
 * A loopback webhook receiver whose answer is set by the test (`answer(503)` for an outage, 400 for a
 * misconfigured endpoint), recording every attempt with its X-IR-Delivery id and the status it got.
 */
export async function startWebhookReceiver() {
  const attempts: Attempt[] = [];
  let status = 200;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const answered = status;
      let payload: unknown = body;
      try { payload = JSON.parse(body); } catch { /* recorded as text */ }
      attempts.push({ delivery: String(req.headers["x-ir-delivery"] ?? ""), status: answered, at: Date.now(), payload });
      res.writeHead(answered, answered === 503 ? { "retry-after": "1" } : {}).end(answered < 300 ? "ok" : "unavailable");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    attempts,
    answer(s: number) { status = s; },
    /** Delivery ids that got a 2xx, with how many times each did. */
    delivered(): Map<string, number> {
      const m = new Map<string, number>();
      for (const a of attempts) if (a.status < 300) m.set(a.delivery, (m.get(a.delivery) ?? 0) + 1);
      return m;
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
