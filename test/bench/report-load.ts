import autocannon from "autocannon";
import type { AlarmBody } from "./alarm-mix";
import { rssMb } from "./embedded-process";

export interface LoadResult {
  connections: number;
  seconds: number;
  /** Answered 200 with a decision (202 means not decided within ?wait and does not count). */
  decided: number;
  decidedPerSecond: number;
  /** Outcomes by status (new / existing / regression), from the decisions. */
  outcomes: Record<string, number>;
  other: Record<string, number>;
  errors: number;
  p50: number;
  p99: number;
  maxRssMb: number;
  endRssMb: number;
}

export interface LoadOptions {
  url: string;
  apiKey: string;
  /** Server pid, for RSS sampling. */
  pid: number;
  connections: number;
  seconds: number;
  /** Hard cap on requests, so every run is bounded in count as well as time. */
  maxRequests?: number;
  /** Requests per second across all connections (open-loop pacing); unset = as fast as answers come. */
  rate?: number;
  next: () => AlarmBody;
}

/**
 * Report → decision through the real HTTP API: each request is `POST /api/v1/incidents?wait=10`, which
 * answers 200 with the outcome once the pipeline decided. autocannon drives it from this process (the
 * server runs in its own), and the server's RSS is read from /proc every 250 ms.
 */
export async function reportLoad(o: LoadOptions): Promise<LoadResult> {
  const outcomes: Record<string, number> = {};
  const other: Record<string, number> = {};
  let decided = 0;
  let answered = 0;
  const cap = o.maxRequests ?? Math.ceil(o.seconds * 50_000);
  const headers = { "content-type": "application/json", "x-api-key": o.apiKey };
  let maxRss = 0;
  const sampler = setInterval(() => { maxRss = Math.max(maxRss, rssMb(o.pid)); }, 250);
  try {
    // `amount` would replace `duration` in autocannon; the count cap is applied here so both bound the run.
    const instance = autocannon({
      url: o.url,
      connections: o.connections,
      duration: o.seconds,
      overallRate: o.rate,
      timeout: 15,
      requests: [{
        method: "POST",
        path: "/api/v1/incidents?wait=10",
        headers,
        setupRequest: (req) => ({ ...req, body: JSON.stringify(o.next()) }),
        onResponse: (status, body) => {
          if (++answered === cap) instance.stop();
          if (status !== 200) { other[status] = (other[status] ?? 0) + 1; return; }
          decided++;
          const s = /"status":"(\w+)"/.exec(body)?.[1] ?? "?";
          outcomes[s] = (outcomes[s] ?? 0) + 1;
        },
      }],
    });
    const result = await instance;
    maxRss = Math.max(maxRss, rssMb(o.pid));
    return {
      connections: o.connections, seconds: result.duration, decided, decidedPerSecond: decided / result.duration, outcomes, other,
      errors: result.errors + result.timeouts, p50: result.latency.p50, p99: result.latency.p99, maxRssMb: maxRss, endRssMb: rssMb(o.pid),
    };
  } finally {
    clearInterval(sampler);
  }
}
