import { spawn } from "node:child_process";
import { join } from "node:path";
import { startWebhookReceiver } from "../support/webhook-receiver";
import { REPO, startEmbeddedProcess } from "./embedded-process";
import { formatTable, verdict } from "./table";

const PROBLEMS = 20;

const irCli = (dataDir: string, ...args: string[]) => new Promise<string>((resolve) => {
  const child = spawn(process.execPath, [join(REPO, "packages/runtime-embedded/bin/ir.js"), ...args], { env: { ...process.env, IR_DATA_DIR: dataDir, LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.on("close", () => resolve(out));
});

/**
 * A webhook receiver down (503) for `minutes` while incidents open, then back: are all notifications
 * delivered, and each exactly once? Not in the default run (it takes minutes): `npm run bench -- outage`,
 * with IR_OUTAGE_MINUTES (default 5). Waits up to 5 minutes after the outage for deliveries to finish.
 */
export async function outageSection(minutes: number): Promise<{ text: string; ok: boolean }> {
  const hook = await startWebhookReceiver();
  const server = await startEmbeddedProcess();
  try {
    hook.answer(503);
    const { api_key } = await server.tenant("outage");
    const headers = { "content-type": "application/json", "x-api-key": api_key };
    const put = await fetch(`${server.url}/api/v1/notifications`, { method: "PUT", headers, body: JSON.stringify({ channels: [{ type: "webhook", url: hook.url }] }) });
    if (put.status !== 200) throw new Error(`notification settings: ${put.status}`);
    const started = Date.now();
    const incidents = new Set<string>();
    for (let i = 0; i < PROBLEMS; i++) {
      const r = await fetch(`${server.url}/api/v1/incidents?wait=10`, { method: "POST", headers, body: JSON.stringify({ error: `Queue consumer ${i} stalled: backlog ${1000 + i} messages (shard ${i})`, service: `svc-${i}`, severity: "HIGH" }) });
      incidents.add(((await r.json()) as { incident_id: string }).incident_id);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, started + minutes * 60_000 - Date.now())));
    const refused = hook.attempts.length;
    hook.answer(200);
    const announced = () => new Set(hook.attempts.filter((a) => a.status < 300).map((a) => a.payload.incident.incident_id as string));
    const deadline = Date.now() + 5 * 60_000;
    while ([...incidents].some((i) => !announced().has(i)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
    // Anything still due would show up within its backoff; a last look after the longest one (60 s) is not needed
    // once every incident is announced, and when one is not, the dead-letter list says why.
    const dead = (await irCli(server.dataDir, "dlq", "list")).split("\n").filter((l) => l.startsWith("dl_"));
    const delivered = hook.delivered();
    const twice = [...delivered.values()].filter((n) => n > 1).length;
    const missing = [...incidents].filter((i) => !announced().has(i)).length;
    const ok = missing === 0 && twice === 0 && dead.length === 0;
    return {
      ok,
      text: formatTable(`Notifier outage: webhook answering 503 for ${minutes} min while ${PROBLEMS} incidents open, then 200`,
        ["incidents", "attempts refused", "deliveries acknowledged", "acknowledged twice", "incidents never announced", "dead-lettered"],
        [[incidents.size, refused, delivered.size, twice, missing, dead.length]],
        [`every notification delivered exactly once — ${verdict(ok)}`, ...dead.slice(0, 3).map((d) => `dead letter: ${d.split("\t").slice(0, 2).join(" ")} … ${d.split("\t").at(-1)}`)]),
    };
  } finally {
    await server.stop();
    await hook.close();
  }
}
