/**
 * `npm run eval`: dedup and runbook quality through the product's own HTTP API and pipeline, on the
 * public data in ../shared/eval (read at run time, never copied). Each LogHub system is sent in file
 * order with service = the system, one report at a time with ?wait, and the incident each lands in is
 * compared with the ground-truth group.
 */
import { readFileSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startServer, REPO } from "../support/embedded";
import { groupingMetrics } from "./metrics";

const EVAL = process.env.IR_EVAL_DIR ?? join(REPO, "..", "shared", "eval");
if (!existsSync(EVAL)) { console.error(`no evaluation data at ${EVAL} (set IR_EVAL_DIR)`); process.exit(2); }
const SYSTEMS = ["HDFS", "Spark", "BGL", "Thunderbird", "Apache", "Linux", "Proxifier", "HealthApp"];
const jsonl = <T>(p: string): T[] => readFileSync(p, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
const f = (x: number) => x.toFixed(3);

const srv = await startServer();
const started = Date.now();
let decided = 0;
try {
  const rows = await Promise.all(SYSTEMS.map(async (system) => {
    const lines = jsonl<{ message: string; group: string }>(join(EVAL, "loghub", `${system}.jsonl`));
    const api = (await srv.client.tenant(`eval-${system}`, { plan: "enterprise", global_runbooks: false })).client;
    const predicted: string[] = [];
    for (const l of lines) {
      const r = await api.report(l.message, system, {}, "?wait=30");
      if (r.status !== 200) throw new Error(`${system}: ${r.status} ${JSON.stringify(r.body)}`);
      predicted.push(r.body.incident_id);
      decided++;
    }
    return { system, ...groupingMetrics(lines.map((l) => l.group), predicted) };
  }));
  const seconds = (Date.now() - started) / 1000;
  console.log("\nDedup on LogHub (through HTTP, ?wait, file order)\n");
  console.log("system        GA     P      R      F1     dup-caught  incidents/groups");
  for (const r of rows) console.log(`${r.system.padEnd(12)}  ${f(r.ga)}  ${f(r.precision)}  ${f(r.recall)}  ${f(r.f1)}  ${f(r.duplicatesCaught)}       ${r.incidents}/${r.groups}`);
  const mean = (k: "ga" | "precision" | "recall" | "f1" | "duplicatesCaught") => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  console.log(`${"mean".padEnd(12)}  ${f(mean("ga"))}  ${f(mean("precision"))}  ${f(mean("recall"))}  ${f(mean("f1"))}  ${f(mean("duplicatesCaught"))}`);
  console.log(`\n${decided} alarms decided in ${seconds.toFixed(1)} s = ${(decided / seconds).toFixed(0)} alarms/s (8 systems in parallel, each sequential)`);

  const runbooks = jsonl<{ id: string; component: string; title: string; content: string }>(join(EVAL, "runbooks", "runbooks.jsonl"));
  const alerts = jsonl<{ message: string; summary: string; service: string; expected_runbook: string }>(join(EVAL, "runbooks", "alerts.jsonl"));
  const api = (await srv.client.tenant("eval-runbooks", { plan: "enterprise", global_runbooks: false })).client;
  const idOf = new Map<string, string>();
  for (const rb of runbooks) {
    const r = await api.req("POST", "/api/v1/runbooks", { title: rb.title, content: rb.content, tags: [rb.component] });
    idOf.set(r.body.runbook_id, rb.id);
  }
  let top1 = 0, top3 = 0, rr = 0, merged = 0;
  for (const a of alerts) {
    const r = await api.report(`${a.summary} — ${a.message}`, a.service, {}, "?wait=30");
    if (r.body.status === "existing") merged++;
    const ranked = (r.body.runbooks as Array<{ runbook_id: string }>).map((x) => idOf.get(x.runbook_id));
    const at = ranked.indexOf(a.expected_runbook);
    if (at === 0) top1++;
    if (at >= 0 && at < 3) top3++;
    if (at >= 0) rr += 1 / (at + 1);
  }
  const n = alerts.length;
  console.log(`\nRunbooks (${runbooks.length} runbooks, ${n} alerts, through HTTP): top-1 ${f(top1 / n)}  top-3 ${f(top3 / n)}  MRR@3 ${f(rr / n)}  (${merged} alerts joined an existing incident and show its runbooks)`);
} finally {
  await srv.stop();
  if (existsSync(srv.dataDir)) rmSync(srv.dataDir, { recursive: true, force: true });
}
