import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "@ir/core";
import { pool, startServer, type Client } from "../support/embedded";

/** The order the copies are sent in: STORM_SEED replays the order of a failed run, whose messages name its seed. */
const SEED = Number(process.env.STORM_SEED ?? 20_311_129);

describe("a storm of duplicates", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let api: Client;
  beforeAll(async () => {
    srv = await startServer();
    api = (await srv.client.tenant("storm", { plan: "enterprise" })).client;
  });
  afterAll(() => srv.stop());

  it("20 problems × 50 copies sent 32 at a time make exactly 20 incidents", async () => {
    const problems = Array.from({ length: 20 }, (_, p) => ({ service: `svc-${p % 4}`, text: PROBLEMS[p] }));
    const reports = problems.flatMap((p) => Array.from({ length: 50 }, (_, c) => ({ service: p.service, error: p.text(c) })));
    // Fisher-Yates: sort() with a random comparator is neither uniform nor the same order for the same seed.
    const random = seededRandom(SEED);
    for (let i = reports.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [reports[i], reports[j]] = [reports[j], reports[i]];
    }
    const seed = `STORM_SEED=${SEED}`;

    const outcomes = await pool(reports, 32, (r) => api.report(r.error, r.service));

    expect(outcomes.filter((o) => o.status !== 200), seed).toEqual([]);
    const incidents = new Set(outcomes.map((o) => o.body.incident_id));
    expect(incidents.size, seed).toBe(20);
    expect(outcomes.filter((o) => o.body.status === "new"), seed).toHaveLength(20);
    const listed = (await api.req("GET", "/api/v1/incidents?limit=100")).body.incidents;
    expect(listed, seed).toHaveLength(20);
    expect(listed.map((i: { occurrences: number }) => i.occurrences), seed).toEqual(Array(20).fill(50));
  });

  it("folds pod names whose random part is all letters (web-bcaaa) into the incident of their problem", async () => {
    const oom = (worker: number, pod: string) => `OutOfMemoryError: Java heap space in worker ${worker} (heap ${1900 + worker} MB, pod ${pod})`;
    const first = await api.report(oom(4, "web-7f9c2"), "jvm");
    expect(first.body.status).toBe("new");
    for (const [i, pod] of ["web-bcaaa", "web-dcafd", "web-xkzqp", "web-4d8e1", "web-faced"].entries()) {
      const r = await api.report(oom(10 + i, pod), "jvm");
      expect({ pod, status: r.body.status, incident: r.body.incident_id }).toEqual({ pod, status: "existing", incident: first.body.incident_id });
    }
    // A DaemonSet's pods have only the random suffix, all consonants one time in five: two such in a row are one problem.
    const crash = (pod: string) => `Back-off restarting failed container fluentd in pod ${pod}`;
    const daemon = await api.report(crash("fluentd-xkzqp"), "logging");
    expect(daemon.body.status).toBe("new");
    for (const pod of ["fluentd-bcdfg", "fluentd-7x2kq"]) expect((await api.report(crash(pod), "logging")).body).toMatchObject({ status: "existing", incident_id: daemon.body.incident_id });
  });
});

/** Each copy differs in ids, hosts and numbers, as real duplicates do. */
const PROBLEMS: Array<(c: number) => string> = [
  (c) => `Task timed out after ${30 + c / 100} seconds RequestId: ${hex(c)}-4a1b`,
  (c) => `OOMKilled: container worker-${c} exceeded memory limit 512Mi`,
  (c) => `connect ECONNREFUSED 10.0.${c % 255}.7:5432`,
  (c) => `FATAL: remaining connection slots are reserved (pid ${4000 + c})`,
  (c) => `No space left on device: /var/lib/docker/overlay2/${hex(c * 7)}/merged`,
  (c) => `x509: certificate has expired or is not yet valid: current time 2026-11-${10 + (c % 18)}T10:00:00Z`,
  (c) => `upstream returned 503 Service Unavailable for GET /api/orders/${c}`,
  (c) => `Back-off restarting failed container app in pod web-${hex(c)}-x${c}`,
  (c) => `Failed to pull image "registry.acme.io/app:${c}.0.1": not found`,
  (c) => `Node ip-10-1-${c % 200}-3.ec2.internal status is now: NodeNotReady`,
  (c) => `ProvisionedThroughputExceededException on table orders-prod-${c % 3} request ${hex(c)}`,
  (c) => `getaddrinfo ENOTFOUND payments-${c}.internal.acme.io`,
  (c) => `OOM command not allowed when used memory > 'maxmemory' (client id=${c})`,
  (c) => `consumer group billing lag is ${1000 + c * 13} messages on partition ${c % 12}`,
  (c) => `Deadlock found when trying to get lock; transaction ${hex(c * 31)} rolled back`,
  (c) => `HTTP 429 Too Many Requests from api.stripe.com, retry after ${c % 60}s`,
  (c) => `Readiness probe failed: Get "http://10.2.${c % 250}.9:8080/health": context deadline exceeded`,
  (c) => `The security token included in the request is expired (key AKIA${hex(c)}XYZ)`,
  (c) => `EMFILE: too many open files, open '/tmp/upload-${c}.bin'`,
  (c) => `DLQ orders-dlq has ${c + 1} messages visible`,
];
const hex = (n: number) => (n * 2654435761 >>> 0).toString(16);
