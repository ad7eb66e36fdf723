/**
 * `npm run bench [-- SECTION...]`: reliability and performance, measured on this machine, printed as
 * tables. Sections (all by default): http, alertmanager, decision, aws, bundles. Bounded to finish in
 * well under ten minutes; IR_BENCH_SECONDS sets the length of each HTTP load level (default 10).
 * `outage` (a notifier down for IR_OUTAGE_MINUTES, default 5) runs only when asked for.
 */
import { cpus, totalmem } from "node:os";
import { measureAlertmanager, alertmanagerTable } from "./alertmanager";
import { awsSection } from "./aws-calls";
import { bundlesSection } from "./bundles";
import { decisionSection } from "./decision";
import { httpSection } from "./http";
import { outageSection } from "./outage";

const DEFAULT_SECTIONS = ["http", "alertmanager", "decision", "aws", "bundles"] as const;
const SECTIONS = [...DEFAULT_SECTIONS, "outage"] as const;
type Section = (typeof SECTIONS)[number];

// The AWS SDK warns once that a future version will need Node 22; that is not a finding of this bench.
process.removeAllListeners("warning");
process.on("warning", (w) => { if (!`${w.name} ${w.message}`.includes("NodeVersionSupportWarning")) console.error(`${w.name}: ${w.message}`); });

const asked = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = asked.filter((a) => !SECTIONS.includes(a as Section));
if (unknown.length) {
  console.error(`unknown section(s): ${unknown.join(", ")}; choose from ${SECTIONS.join(", ")}`);
  process.exit(2);
}
const selected = new Set<Section>(asked.length ? (asked as Section[]) : DEFAULT_SECTIONS);
const seconds = Number(process.env.IR_BENCH_SECONDS ?? 10);
const started = Date.now();
const out: string[] = [`# Incident Responder benchmark — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GB`];
const print = (text: string) => { out.push(text); console.log(text); };
console.log(out[0]);

let failed = 0;
/** One section, timed; a section that fails says why in the output and the others still run. */
const section = async <T>(name: Section, fn: () => Promise<T> | T): Promise<T | undefined> => {
  if (!selected.has(name)) return undefined;
  const t = Date.now();
  console.error(`[bench] ${name}…`);
  try {
    return await fn();
  } catch (err) {
    failed++;
    print(`\n## ${name}: FAILED — ${(err as Error).message}`);
    return undefined;
  } finally {
    console.error(`[bench] ${name} took ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
};
const show = (r: { text: string } | undefined) => { if (r) print(r.text); };

const http = await section("http", () => httpSection(seconds));
show(http);
const am = await section("alertmanager", () => measureAlertmanager(seconds));
if (am !== undefined) print(alertmanagerTable(am, http?.at32.decidedPerSecond));
show(await section("decision", () => decisionSection()));
show(await section("aws", () => awsSection()));
show(await section("bundles", () => bundlesSection()));
show(await section("outage", () => outageSection(Number(process.env.IR_OUTAGE_MINUTES ?? 5))));
if (failed) process.exitCode = 1;
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
