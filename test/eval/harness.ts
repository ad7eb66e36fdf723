/**
 * In-memory simulation of the embed and match stages over the shared evaluation data, for tuning the
 * pure dedup and runbook-ranking modules quickly. It calls mask, HashEmbedder, decide and RunbookIndex
 * exactly as the stages do; the vector index is replaced by brute-force cosine over the service's
 * incidents. The data is read from `<repo>/../shared/eval` at run time and never copied.
 *
 *   node --import tsx test/eval/harness.ts [--calibrate] [--methods] [--failures SYSTEM] [--misses]
 *
 * --calibrate  score distributions behind the embedder's thresholds
 * --methods    per system: attaches by method (and how many were wrong), splits and their cause
 * --failures   for one system: split and merged ground-truth groups with their templates
 * --misses     runbook alerts whose expected runbook was not first
 * --no-globals rank the evaluation runbooks alone, without the built-in global runbooks
 *
 * Messages are embedded masked (raw text gives the same vector: the embedder ignores values).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HashEmbedder, cosine } from "../../packages/embed/src/hash-embedder";
import { runbookQuery } from "../../packages/match/src/runbook-query";
import { mask } from "../../packages/embed/src/mask";
import { type Candidate, decide } from "../../packages/match/src/decide";
import { loadGlobalRunbooks } from "../../packages/match/src/global-runbooks";
import { RunbookIndex } from "../../packages/match/src/rank-runbooks";

const EVAL = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared", "eval");
const SYSTEMS = ["HDFS", "Spark", "BGL", "Thunderbird", "Apache", "Linux", "Proxifier", "HealthApp"];
const TOP_K = 10;
const args = process.argv.slice(2);
const failuresOf = args.includes("--failures") ? args[args.indexOf("--failures") + 1] : null;

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as T);

interface LogLine { system: string; message: string; group: string }
interface Incident { incident_id: string; template: string; vector: Float32Array; created_at: string; status: "OPEN" }

const embedder = new HashEmbedder();
const pairs = (n: number): number => (n * (n - 1)) / 2;

interface Row { system: string; ga: number; p: number; r: number; f1: number; dup: number; incidents: number; groups: number; ms: number }

function runSystem(system: string): Row {
  const lines = readJsonl<LogLine>(join(EVAL, "loghub", `${system}.jsonl`));
  const incidents: Incident[] = [];
  const stats = { fingerprint: 0, template: 0, vector: 0, splitSeen: 0, splitUnseen: 0 };
  const wrong = { fingerprint: 0, template: 0, vector: 0 };
  const byFingerprint = new Map<string, Incident>();
  const openedBy = new Map<string, string>();
  const groupsSeen = new Set<string>();
  const assigned: string[] = [];
  let spent = 0;
  lines.forEach((line, i) => {
    const t0 = performance.now();
    const masked = mask(line.message);
    const vector = embedder.embedOne(masked);
    const hit = byFingerprint.get(masked);
    const t1 = performance.now();
    // Stand-in for the vector index query: not part of the per-message cost being measured.
    const candidates: Candidate[] = incidents
      .map((inc) => ({ inc, score: cosine(vector, inc.vector) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, TOP_K)
      .map(({ inc, score }) => ({ incident_id: inc.incident_id, status: inc.status, template: inc.template, score, created_at: inc.created_at }));
    const t2 = performance.now();
    const fingerprintHit: Candidate | null = hit
      ? { incident_id: hit.incident_id, status: hit.status, template: hit.template, score: 1, created_at: hit.created_at }
      : null;
    const d = decide({ masked, fingerprintHit, candidates, thresholds: embedder.thresholds });
    let target: Incident;
    if (d.kind === "attach") {
      target = incidents.find((x) => x.incident_id === d.target.incident_id)!;
      target.template = d.template;
    } else {
      const created_at = new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString();
      target = { incident_id: `inc_${i}`, template: d.template, vector, created_at, status: "OPEN" };
      incidents.push(target);
      openedBy.set(target.incident_id, line.group);
    }
    spent += t1 - t0 + (performance.now() - t2);
    // Diagnostics only (--methods): how each attach was made and whether it was right; why splits happened.
    if (d.kind === "attach") {
      stats[d.method] += 1;
      if (openedBy.get(d.target.incident_id) !== line.group) wrong[d.method] += 1;
    } else if (groupsSeen.has(line.group)) {
      if (candidates.some((c) => openedBy.get(c.incident_id) === line.group)) stats.splitSeen += 1;
      else stats.splitUnseen += 1;
    }
    groupsSeen.add(line.group);
    byFingerprint.set(masked, target);
    assigned.push(target.incident_id);
  });

  // Grouping accuracy (Zhu et al.): a message is right only if its incident holds exactly its group.
  const groupSize = new Map<string, number>();
  const clusterSize = new Map<string, number>();
  const cell = new Map<string, number>();
  lines.forEach((l, i) => {
    groupSize.set(l.group, (groupSize.get(l.group) ?? 0) + 1);
    clusterSize.set(assigned[i], (clusterSize.get(assigned[i]) ?? 0) + 1);
    const k = `${assigned[i]}\u0000${l.group}`;
    cell.set(k, (cell.get(k) ?? 0) + 1);
  });
  let correct = 0;
  lines.forEach((l, i) => {
    const n = cell.get(`${assigned[i]}\u0000${l.group}`)!;
    if (n === groupSize.get(l.group) && n === clusterSize.get(assigned[i])) correct++;
  });
  let tp = 0;
  for (const n of cell.values()) tp += pairs(n);
  let predicted = 0;
  for (const n of clusterSize.values()) predicted += pairs(n);
  let actual = 0;
  for (const n of groupSize.values()) actual += pairs(n);
  const p = predicted ? tp / predicted : 1;
  const r = actual ? tp / actual : 1;

  // Duplicates caught: later messages of a group that joined the incident its first message opened.
  const firstIncident = new Map<string, string>();
  let later = 0;
  let caught = 0;
  lines.forEach((l, i) => {
    const first = firstIncident.get(l.group);
    if (first === undefined) firstIncident.set(l.group, assigned[i]);
    else {
      later++;
      if (assigned[i] === first) caught++;
    }
  });

  if (failuresOf === system) printFailures(lines, assigned, incidents);
  if (args.includes("--methods")) {
    console.log(`${system}: attach fingerprint ${stats.fingerprint} (wrong ${wrong.fingerprint}), template ${stats.template} (wrong ${wrong.template}), vector ${stats.vector} (wrong ${wrong.vector}); splits with own incident in candidates ${stats.splitSeen}, not retrieved ${stats.splitUnseen}`);
  }
  return {
    system,
    ga: correct / lines.length,
    p,
    r,
    f1: p + r ? (2 * p * r) / (p + r) : 0,
    dup: later ? caught / later : 1,
    incidents: incidents.length,
    groups: groupSize.size,
    ms: spent / lines.length,
  };
}

function printFailures(lines: LogLine[], assigned: string[], incidents: Incident[]): void {
  const template = new Map(incidents.map((x) => [x.incident_id, x.template]));
  const byGroup = new Map<string, Map<string, number>>();
  const byCluster = new Map<string, Map<string, number>>();
  lines.forEach((l, i) => {
    const g = byGroup.get(l.group) ?? new Map<string, number>();
    g.set(assigned[i], (g.get(assigned[i]) ?? 0) + 1);
    byGroup.set(l.group, g);
    const c = byCluster.get(assigned[i]) ?? new Map<string, number>();
    c.set(l.group, (c.get(l.group) ?? 0) + 1);
    byCluster.set(assigned[i], c);
  });
  console.log(`\n-- ${byGroup.size} groups; split groups:`);
  for (const [g, m] of byGroup) {
    if (m.size <= 1) continue;
    console.log(`  ${g}: ${[...m].map(([c, n]) => `${n}×[${template.get(c)}]`).join("  |  ")}`);
  }
  console.log("-- merged groups:");
  for (const [c, m] of byCluster) {
    if (m.size <= 1) continue;
    console.log(`  [${template.get(c)}] ← ${[...m].map(([g, n]) => `${g}:${n}`).join(" ")}`);
  }
}

interface RunbookLine { id: string; component: string; title: string; content: string }
interface AlertLine { message: string; summary: string; service: string; expected_runbook: string }

function runRunbooks(): { top1: number; top3: number; mrr: number; matchedRight: number; falseMatch: number; rightScores: number[]; negScores: number[] } {
  const runbooks = readJsonl<RunbookLine>(join(EVAL, "runbooks", "runbooks.jsonl"));
  const alerts = readJsonl<AlertLine>(join(EVAL, "runbooks", "alerts.jsonl"));
  // As the match stage builds it: the tenant's runbooks plus the global defaults (a tenant's default).
  const docs = [
    ...runbooks.map((rb) => ({ runbook_id: rb.id, title: rb.title, content: rb.content, tags: [rb.component], scope: "tenant" as const })),
    ...(args.includes("--no-globals")
      ? []
      : loadGlobalRunbooks().map((g) => ({ runbook_id: `global:${g.slug}`, title: g.title, content: g.content, tags: g.tags, scope: "global" as const }))),
  ];
  const index = new RunbookIndex(
    docs.map((d) => ({ ...d, success_count: 0, failure_count: 0, vector: embedder.embedOne(`${d.title}\n${d.tags.join(" ")}\n${d.content}`) })),
  );
  let top1 = 0;
  let top3 = 0;
  let rr = 0;
  const rightScores: number[] = [];
  const misses: string[] = [];
  for (const a of alerts) {
    // As the match stage queries: the service, then the error; the vector is the masked error's (embed stage).
    const error = `${a.summary} — ${a.message}`;
    const hits = index.search(runbookQuery({ service: a.service, error, metadata: {} }), embedder.embedOne(mask(error)), 10);
    const rank = hits.findIndex((h) => h.runbook_id === a.expected_runbook);
    if (rank === 0) {
      top1++;
      rightScores.push(hits[0].similarity);
    } else misses.push(`  ${a.expected_runbook} at ${rank + 1}: got ${hits.slice(0, 3).map((h) => `${h.runbook_id}(${h.similarity})`).join(", ")}`);
    if (rank >= 0 && rank < 3) top3++;
    if (rank >= 0) rr += 1 / (rank + 1);
  }
  // Negatives for calibrating `runbook_matched`: log lines that no Kubernetes runbook answers.
  const negScores: number[] = [];
  for (const system of SYSTEMS) {
    const seen = new Set<string>();
    for (const l of readJsonl<LogLine>(join(EVAL, "loghub", `${system}.jsonl`))) {
      const m = mask(l.message);
      if (seen.has(m)) continue;
      seen.add(m);
      negScores.push(index.search(`${system} ${l.message}`, embedder.embedOne(m), 1)[0].similarity);
    }
  }
  if (args.includes("--misses")) console.log(misses.join("\n"));
  const th = embedder.thresholds.runbook;
  return {
    top1: top1 / alerts.length,
    top3: top3 / alerts.length,
    mrr: rr / alerts.length,
    matchedRight: rightScores.filter((s) => s >= th).length / Math.max(1, rightScores.length),
    falseMatch: negScores.filter((s) => s >= th).length / Math.max(1, negScores.length),
    rightScores,
    negScores,
  };
}

/** Cosine distributions of same-group and different-group message pairs, for the merge / related thresholds. */
function calibrateVectors(): void {
  const same: number[] = [];
  const diff: number[] = [];
  for (const system of SYSTEMS) {
    const reps = new Map<string, Float32Array[]>();
    const seen = new Set<string>();
    for (const l of readJsonl<LogLine>(join(EVAL, "loghub", `${system}.jsonl`))) {
      const m = mask(l.message);
      if (seen.has(m)) continue;
      seen.add(m);
      const list = reps.get(l.group) ?? [];
      if (list.length < 5) list.push(embedder.embedOne(m));
      reps.set(l.group, list);
    }
    const groups = [...reps.values()];
    for (let a = 0; a < groups.length; a++) {
      for (let i = 0; i < groups[a].length; i++) {
        for (let j = i + 1; j < groups[a].length; j++) same.push(cosine(groups[a][i], groups[a][j]));
        for (let b = a + 1; b < groups.length; b++) diff.push(cosine(groups[a][i], groups[b][0]));
      }
    }
  }
  const q = (xs: number[], f: number): number => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(f * xs.length))];
  console.log(`\nvector calibration: same-group pairs ${same.length}, different-group pairs ${diff.length}`);
  for (const t of [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95]) {
    const s = same.filter((x) => x >= t).length / same.length;
    const d = diff.filter((x) => x >= t).length / diff.length;
    console.log(`  cos ≥ ${t.toFixed(2)}: same-group ${(100 * s).toFixed(1)}%  different-group ${(100 * d).toFixed(3)}%`);
  }
  console.log(`  different-group quantiles: p99 ${q(diff, 0.99).toFixed(3)} p99.9 ${q(diff, 0.999).toFixed(3)} max ${q(diff, 1).toFixed(3)}`);
}

const f = (x: number): string => x.toFixed(3);
const rows = SYSTEMS.map(runSystem);
console.log("system        GA     P      R      F1     dup    inc/groups  ms/msg");
for (const r of rows) {
  console.log(`${r.system.padEnd(12)}  ${f(r.ga)}  ${f(r.p)}  ${f(r.r)}  ${f(r.f1)}  ${f(r.dup)}  ${`${r.incidents}/${r.groups}`.padEnd(10)}  ${r.ms.toFixed(4)}`);
}
const mean = (k: keyof Row): number => rows.reduce((s, r) => s + (r[k] as number), 0) / rows.length;
console.log(`${"mean".padEnd(12)}  ${f(mean("ga"))}  ${f(mean("p"))}  ${f(mean("r"))}  ${f(mean("f1"))}  ${f(mean("dup"))}  ${"".padEnd(10)}  ${mean("ms").toFixed(4)}`);

const rb = runRunbooks();
console.log(`\nrunbooks  top-1 ${f(rb.top1)}  top-3 ${f(rb.top3)}  MRR ${f(rb.mrr)}  matched@${embedder.thresholds.runbook}: right top-1 ${f(rb.matchedRight)}, LogHub negatives ${f(rb.falseMatch)}`);
if (args.includes("--calibrate")) {
  const q = (xs: number[], p: number): string => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(3);
  console.log(`  right top-1 similarity: min ${q(rb.rightScores, 0)} p05 ${q(rb.rightScores, 0.05)} median ${q(rb.rightScores, 0.5)}`);
  console.log(`  negatives best similarity: median ${q(rb.negScores, 0.5)} p95 ${q(rb.negScores, 0.95)} p99 ${q(rb.negScores, 0.99)} max ${q(rb.negScores, 1)}`);
  for (const t of [0.1, 0.15, 0.18, 0.2, 0.22, 0.25, 0.3]) {
    const right = rb.rightScores.filter((x) => x >= t).length / rb.rightScores.length;
    const neg = rb.negScores.filter((x) => x >= t).length / rb.negScores.length;
    console.log(`  runbook ≥ ${t.toFixed(2)}: right top-1 matched ${(100 * right).toFixed(1)}%  LogHub negatives matched ${(100 * neg).toFixed(1)}%`);
  }
  calibrateVectors();
}
