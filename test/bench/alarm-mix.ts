/**
 * The alarms the benchmarks send: what a busy tenant's producers report. Most are recurrences of a
 * few known problems with different numbers, ids and hosts (what dedup exists for); a few are new.
 *
 * Ten message shapes on five services make 50 problems: the same shape on another service is another
 * incident, as the fingerprint includes the service.
 */
const SERVICES = ["payment-processor", "orders-api", "checkout-web", "inventory-db", "notifications"];

const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(Math.random() * 16)]).join("");
const int = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

const SHAPES: Array<() => string> = [
  () => `Task timed out after ${int(29, 31)}.${int(10, 99)} seconds (request ${hex(8)}-${hex(4)})`,
  () => `Connection pool exhausted: ${int(40, 51)}/50 connections in use, waited ${int(900, 5000)} ms (db-${int(1, 9)}.internal:5432)`,
  () => `OutOfMemoryError: Java heap space in worker ${int(1, 64)} (heap ${int(1900, 2048)} MB, pod web-${hex(5)})`,
  () => `HTTP 503 from upstream inventory-svc after ${int(3, 6)} retries, trace ${hex(16)}`,
  () => `Disk /var/lib/data is ${int(90, 100)}% full on host ip-10-0-${int(0, 255)}-${int(0, 255)}`,
  () => `Certificate for api.example.com expires in ${int(1, 14)} days (serial ${hex(12)})`,
  () => `Kafka consumer group billing lag ${int(10_000, 90_000)} messages on partition ${int(0, 32)}`,
  () => `Deadlock detected while updating orders row ${int(100_000, 999_999)}; transaction ${hex(10)} rolled back`,
  () => `Rate limit exceeded calling Stripe API: 429 Too Many Requests (retry after ${int(1, 30)}s, key rk_${hex(6)})`,
  () => `Null pointer dereference in CartService.applyCoupon at line ${int(100, 400)} (session ${hex(12)})`,
];

/** Problems that have never been seen: random words in a shape of their own, so nothing merges them. */
const WORDS = ["ledger", "falcon", "quota", "shard", "replica", "cursor", "beacon", "lattice", "gateway", "sidecar", "vault", "ingress",
  "tenant", "cache", "scheduler", "webhook", "mailer", "parser", "bucket", "stream", "journal", "token", "session", "planner",
  "cluster", "broker", "indexer", "renderer", "exporter", "compactor", "resolver", "balancer", "allocator", "tracker", "sampler"];
const VERBS = ["rejected", "stalled", "diverged", "overflowed", "corrupted", "desynced", "starved", "looped", "leaked", "panicked"];
const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)];

export interface AlarmBody { error: string; service: string; severity: string }

/** A recurrence of one of the 50 known problems. */
export const knownProblem = (): AlarmBody => ({ error: pick(SHAPES)(), service: pick(SERVICES), severity: pick(["LOW", "MEDIUM", "HIGH"]) });

/** The `i`-th known problem exactly (for seeding every problem once). */
export const knownProblemAt = (i: number): AlarmBody => ({ error: SHAPES[i % SHAPES.length](), service: SERVICES[Math.floor(i / SHAPES.length) % SERVICES.length], severity: "MEDIUM" });
export const KNOWN_PROBLEMS = SHAPES.length * SERVICES.length;

/** Something not seen before (from a pool of `pool` rare problems when given, so a long run reaches a steady state). */
export const newProblem = (pool?: number): AlarmBody => {
  const seed = pool ? Math.floor(Math.random() * pool) : undefined;
  const w = seed === undefined ? [pick(WORDS), pick(WORDS), pick(WORDS), pick(WORDS)] : [WORDS[seed % 35], WORDS[Math.floor(seed / 35) % 35], VERBS[Math.floor(seed / 1225) % 10], WORDS[(seed * 7) % 35]];
  const verb = seed === undefined ? pick(VERBS) : VERBS[seed % 10];
  return { error: `${w[0]} ${w[1]} ${verb} while the ${w[2]} ${w[3]} was draining (${hex(6)})`, service: pick(SERVICES), severity: "HIGH" };
};

/** `duplicates` of the alarms recur a known problem, the rest are new (unbounded, or from a pool of rare problems). */
export const alarmMix = (duplicates = 0.95, newPool?: number) => (): AlarmBody => (Math.random() < duplicates ? knownProblem() : newProblem(newPool));
