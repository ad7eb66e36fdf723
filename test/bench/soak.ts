/**
 * Soak: steady report → decision load on `ir serve` for IR_SOAK_MINUTES (default 30) at IR_SOAK_RATE
 * requests/s (default 500), sampling the server's RSS and the minute's p50/p99 latency every minute, then
 * a least-squares slope of RSS in MB/min. The set of problems is bounded (50 common + a pool of rare
 * ones), so the number of incidents levels off and memory should too: a lasting slope is a leak.
 *
 *   npm run soak                          # 30 minutes at 500/s
 *   IR_SOAK_MINUTES=10 IR_SOAK_RATE=200 npm run soak
 */
import { alarmMix, knownProblemAt, KNOWN_PROBLEMS } from "./alarm-mix";
import { anonRssMb, rssMb, startEmbeddedProcess } from "./embedded-process";
import { reportLoad } from "./report-load";
import { slope } from "./slope";
import { fixed, formatTable, thousands } from "./table";

const minutes = Number(process.env.IR_SOAK_MINUTES ?? 30);
const rate = Number(process.env.IR_SOAK_RATE ?? 500);
const connections = Number(process.env.IR_SOAK_CONNECTIONS ?? 64);
/** Rare problems beyond the 50 common ones: 5% of alarms come from this pool, each on one of five services. */
const RARE_POOL = 200;

const server = await startEmbeddedProcess();
const stopServer = () => server.stop();
process.once("SIGINT", () => void stopServer().then(() => process.exit(130)));
try {
  const { api_key } = await server.tenant("soak");
  let seeded = 0;
  await reportLoad({ url: server.url, apiKey: api_key, pid: server.pid, connections: 1, seconds: 30, maxRequests: KNOWN_PROBLEMS, next: () => knownProblemAt(seeded++) });
  const next = alarmMix(0.95, RARE_POOL);
  const rows: Array<Array<string | number>> = [];
  const samples: Array<{ minute: number; rss: number; anon: number; p99: number }> = [{ minute: 0, rss: rssMb(server.pid), anon: anonRssMb(server.pid), p99: NaN }];
  rows.push([0, "–", "–", "–", "–", "–", fixed(samples[0].rss), fixed(samples[0].anon)]);
  console.error(`soak: ${minutes} min at ${rate} req/s, ${connections} connections, server pid ${server.pid}, RSS at start ${fixed(samples[0].rss)} MB`);
  for (let m = 1; m <= minutes; m++) {
    const r = await reportLoad({ url: server.url, apiKey: api_key, pid: server.pid, connections, seconds: 60, rate, maxRequests: rate * 60 + connections, next });
    const notDecided = Object.values(r.other).reduce((a, b) => a + b, 0) + r.errors;
    const ended = server.ended();
    if (ended) throw new Error(`${ended}; the soak stops here`);
    samples.push({ minute: m, rss: r.endRssMb, anon: anonRssMb(server.pid), p99: r.p99 });
    const row = [m, thousands(r.decidedPerSecond), fixed(r.p50), fixed(r.p99), notDecided, r.outcomes.new ?? 0, fixed(r.endRssMb), fixed(samples[m].anon)];
    rows.push(row);
    console.error(`minute ${m}: ${row.join("  ")}  other statuses ${JSON.stringify(r.other)} errors ${r.errors}`);
  }
  const rss = slope(samples.map((s) => [s.minute, s.rss]));
  const late = samples.filter((s) => s.minute >= Math.ceil(minutes / 2));
  const lateRss = slope(late.map((s) => [s.minute, s.rss]));
  const anon = slope(samples.map((s) => [s.minute, s.anon]));
  const lateAnon = slope(late.map((s) => [s.minute, s.anon]));
  const p99 = slope(samples.filter((s) => s.minute > 0).map((s) => [s.minute, s.p99]));
  console.log(formatTable(
    `Soak: ${minutes} min at ${rate} req/s (POST /api/v1/incidents?wait=10, 95% recurrences, 5% from ${RARE_POOL} rare problems × 5 services)`,
    ["minute", "decided/s", "p50 ms", "p99 ms", "not 200", "new", "RSS MB", "anon MB"],
    rows,
    [`RSS slope (least squares): ${fixed(rss, 3)} MB/min over the whole run, ${fixed(lateRss, 3)} MB/min over its second half`,
      `anonymous RSS (heaps; the rest is mapped files): ${fixed(anon, 3)} MB/min over the whole run, ${fixed(lateAnon, 3)} MB/min over its second half`,
      `p99 slope: ${fixed(p99, 3)} ms/min`],
  ));
} finally {
  await stopServer();
}
