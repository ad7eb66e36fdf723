import { describe, expect, it } from "vitest";
import { type RunbookDoc, RunbookIndex } from "../src/rank-runbooks";

const DIM = 8;
const none = new Float32Array(DIM);
const axis = (i: number): Float32Array => {
  const v = new Float32Array(DIM);
  v[i] = 1;
  return v;
};

const doc = (over: Partial<RunbookDoc> & Pick<RunbookDoc, "runbook_id" | "title" | "content">): RunbookDoc => ({
  tags: [],
  success_count: 0,
  failure_count: 0,
  vector: none,
  ...over,
});

const RUNBOOKS: RunbookDoc[] = [
  doc({
    runbook_id: "disk",
    title: "DiskSpaceLow",
    tags: ["storage"],
    content: `# DiskSpaceLow

## Symptoms

- \`No space left on device\` when writing files
- Filesystem usage above 90% on a node

## Resolution

Delete old log archives and rotated files. Then grow the volume if usage keeps climbing.

## Background

Volumes fill up when log rotation is misconfigured.`,
  }),
  doc({
    runbook_id: "cert",
    title: "Certificate Expiry",
    tags: ["tls"],
    content: `# Certificate Expiry

## Meaning

A TLS certificate served by an ingress expires within days.

## Mitigation

Renew the certificate through the issuer and reload the ingress controller.`,
  }),
  doc({
    runbook_id: "crash",
    title: "PodCrashLooping",
    tags: ["kubernetes"],
    content: `# PodCrashLooping

## Meaning

A container keeps restarting and is in CrashLoopBackOff.

## Diagnosis

Read the previous container logs with kubectl logs --previous.

## Remediation

Fix the crashing start command or the missing configuration, then roll out again.`,
  }),
  doc({
    runbook_id: "scheduler_down",
    title: "SchedulerDown",
    content: `# SchedulerDown

## Meaning

Scheduler has disappeared from service discovery.

## Mitigation

Restart the scheduler process.`,
  }),
  doc({
    runbook_id: "worker_down",
    title: "WorkerDown",
    content: `# WorkerDown

## Meaning

Worker has disappeared from service discovery.

## Mitigation

Check the worker hosts.`,
  }),
];

describe("RunbookIndex.search", () => {
  const index = new RunbookIndex(RUNBOOKS);

  describe.each([
    ["a symptom quoted verbatim", "Write failed: No space left on device", "disk"],
    ["an identifier split from the title", "disk_space_low on /dev/sdb1", "disk"],
    ["prose words, stemmed", "certificates for shop.example.com expiring soon", "cert"],
    ["a camel-case reason", "Back-off restarting failed container, reason CrashLoopBackOff", "crash"],
    ["the subject deciding between runbooks that share a sentence", "worker-7 gone: Worker has disappeared from service discovery", "worker_down"],
  ])("%s", (_name, query, expected) => {
    it(`ranks ${expected} first`, () => {
      // act
      const hits = index.search(query, none, 3);
      // assess
      expect(hits[0].runbook_id).toBe(expected);
    });
  });

  it("returns similarities in 0..1, best first, at most k", () => {
    // act
    const hits = index.search("no space left on device, disk full, certificate expired", none, 2);
    // assess
    expect(hits).toHaveLength(2);
    for (const h of hits) {
      expect(h.similarity).toBeGreaterThanOrEqual(0);
      expect(h.similarity).toBeLessThanOrEqual(1);
    }
    expect(hits[0].similarity).toBeGreaterThanOrEqual(hits[1].similarity);
  });

  it("scores an unrelated query low", () => {
    // act
    const [best] = index.search("quarterly revenue report generated", none, 1);
    // assess
    expect(best.similarity).toBeLessThan(0.2);
  });

  it("returns nothing for an empty index or k = 0", () => {
    expect(new RunbookIndex([]).search("disk full", none, 5)).toEqual([]);
    expect(index.search("disk full", none, 0)).toEqual([]);
  });

  it("uses the vector when the words do not overlap", () => {
    // prepare: only the vectors relate the query to the second runbook
    const vectored = new RunbookIndex([
      doc({ runbook_id: "a", title: "Alpha", content: "# Alpha\n\nAlpha text.", vector: axis(0) }),
      doc({ runbook_id: "b", title: "Beta", content: "# Beta\n\nBeta text.", vector: axis(1) }),
    ]);
    // act
    const hits = vectored.search("zzz qqq", axis(1), 2);
    // assess
    expect(hits[0].runbook_id).toBe("b");
    expect(hits[0].similarity).toBeGreaterThan(hits[1].similarity);
  });

  describe("an alert that states a runbook's name", () => {
    // Siblings whose prose repeats the alert's sentence with another subject; the right runbook, whose
    // prose says it differently; and more runbooks on the same subject, so its word alone decides little.
    const sibling = (subject: string): RunbookDoc =>
      doc({
        runbook_id: `${subject.toLowerCase()}_worker_down`,
        title: `${subject}WorkerDown`,
        content: `# ${subject}WorkerDown\n\n## Meaning\n\n${subject} worker is offline in the service registry and its heartbeat has stopped.\n\n## Mitigation\n\nRestart the ${subject.toLowerCase()} worker.`,
      });
    const named = doc({
      runbook_id: "billing_worker_down",
      title: "BillingWorkerDown",
      content: `# BillingWorkerDown

## Meaning

No billing worker has answered its health checks for ten minutes, so invoices are not issued.

## Mitigation

Restart the billing deployment and check its database credentials.`,
    });
    const sameSubject = [
      doc({ runbook_id: "billing_backlog", title: "BillingInvoiceBacklog", content: "# BillingInvoiceBacklog\n\nBilling invoices queue up faster than the billing worker issues them." }),
      doc({ runbook_id: "billing_errors", title: "BillingApiErrors", content: "# BillingApiErrors\n\nThe billing API answers with errors; the billing worker may retry." }),
    ];
    const alert = "billing-worker Worker is offline in the service registry — Billing worker is offline in the service registry of region eu-west-1.";

    it("ranks the runbook it names in other words (offline for Down) above siblings that repeat its sentence", () => {
      // prepare
      const idx = new RunbookIndex([sibling("Search"), sibling("Report"), named, ...sameSubject]);
      // act
      const hits = idx.search(alert, none, 3);
      // assess
      expect(hits[0].runbook_id).toBe("billing_worker_down");
    });

    it("reads the name from the runbook's own heading when its given title is prose", () => {
      // prepare
      const idx = new RunbookIndex([sibling("Search"), sibling("Report"), { ...named, title: "Invoices stopped" }, ...sameSubject]);
      // act
      const hits = idx.search(alert, none, 3);
      // assess
      expect(hits[0].runbook_id).toBe("billing_worker_down");
    });

    it("keeps the similarity within 1 when every signal agrees", () => {
      // prepare
      const idx = new RunbookIndex([{ ...sibling("Billing"), vector: axis(2) }]);
      // act
      const [hit] = idx.search(alert, axis(2), 1);
      // assess
      expect(hit.similarity).toBeGreaterThan(0.5);
      expect(hit.similarity).toBeLessThanOrEqual(1);
    });

    it("does not take one word inside an identifier for a one-word runbook name", () => {
      // prepare: "Heartbeat" appears only as part of a driver's identifier
      const idx = new RunbookIndex([
        doc({ runbook_id: "heartbeat", title: "Heartbeat", content: "# Heartbeat\n\nAlways firing, to prove that alert delivery works end to end." }),
        doc({ runbook_id: "nic_flapping", title: "NicLinkFlapping", content: "# NicLinkFlapping\n\nA network interface link goes up and down repeatedly." }),
      ]);
      // act
      const hits = idx.search("eth0: igb_heartbeat: NIC link is up, 1000 Mbps full duplex", none, 2);
      // assess
      expect(hits[0].runbook_id).toBe("nic_flapping");
      expect(hits.find((h) => h.runbook_id === "heartbeat")!.similarity).toBeLessThan(0.2);
    });
  });

  describe("own runbooks and global defaults", () => {
    const own = doc({ runbook_id: "own", title: "Queue Backlog", content: "# Queue Backlog\n\nOur consumers for the orders queue fall behind." });
    const global = doc({ runbook_id: "global", title: "Queue Backlog Growing", content: "# Queue Backlog Growing\n\nMessages pile up in a queue.", scope: "global" });

    it("recommends the tenant's own runbook before a comparable global one", () => {
      // prepare
      const idx = new RunbookIndex([global, { ...own, scope: "tenant" }]);
      // act
      const hits = idx.search("queue backlog growing", none, 2);
      // assess
      expect(hits.map((h) => h.runbook_id)).toEqual(["own", "global"]);
    });

    it("scores global runbooks undiscounted when the tenant has none of its own", () => {
      // prepare
      const alone = new RunbookIndex([global]);
      const asOwn = new RunbookIndex([{ ...global, scope: "tenant" }]);
      // act
      const [a] = alone.search("queue backlog growing", none, 1);
      const [b] = asOwn.search("queue backlog growing", none, 1);
      // assess
      expect(a.similarity).toBe(b.similarity);
    });
  });

  describe("learning from outcomes", () => {
    const twin = (id: string, success: number, failure: number): RunbookDoc =>
      doc({ runbook_id: id, title: "Queue Backlog", content: "# Queue Backlog\n\n## Meaning\n\nMessages pile up in the queue.", success_count: success, failure_count: failure });

    it("orders equally relevant runbooks by their track record", () => {
      // prepare
      const idx = new RunbookIndex([twin("often_fails", 0, 8), twin("proven", 12, 1)]);
      // act
      const hits = idx.search("queue backlog growing", none, 2);
      // assess
      expect(hits.map((h) => h.runbook_id)).toEqual(["proven", "often_fails"]);
    });

    it("never lets the track record outweigh a clearly better match", () => {
      // prepare
      const popular = doc({ runbook_id: "popular", title: "Queue Backlog", content: "# Queue Backlog\n\nMessages pile up.", success_count: 500 });
      const precise = doc({ runbook_id: "precise", title: "Dead Letter Queue Growing", content: "# Dead Letter Queue Growing\n\nMessages land in the dead letter queue." });
      const idx = new RunbookIndex([popular, precise]);
      // act
      const hits = idx.search("dead letter queue growing", none, 2);
      // assess
      expect(hits[0].runbook_id).toBe("precise");
    });
  });

  describe.each([
    ["disk", "Delete old log archives and rotated files. Then grow the volume if usage keeps climbing."],
    ["cert", "Renew the certificate through the issuer and reload the ingress controller."],
    ["crash", "Fix the crashing start command or the missing configuration, then roll out again."],
  ])("solution of %s", (id, expected) => {
    it("is the start of its resolution section", () => {
      // act
      const hit = index.search(id === "disk" ? "no space left on device" : id === "cert" ? "certificate expiry" : "CrashLoopBackOff", none, 5).find((h) => h.runbook_id === id);
      // assess
      expect(hit?.solution).toBe(expected);
    });
  });

  it("falls back to the first paragraph and stays within 300 characters", () => {
    // prepare
    const long = "Restart the agent. ".repeat(40);
    const idx = new RunbookIndex([doc({ runbook_id: "p", title: "Agent Stuck", content: `---\ntitle: Agent Stuck\n---\n\n${long}\n\nSecond paragraph.` })]);
    // act
    const [hit] = idx.search("agent stuck", none, 1);
    // assess
    expect(hit.solution.length).toBeLessThanOrEqual(300);
    expect(hit.solution.startsWith("Restart the agent.")).toBe(true);
    expect(hit.solution).not.toContain("Second paragraph");
  });
});
