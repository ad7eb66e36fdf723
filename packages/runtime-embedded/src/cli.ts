import { parseArgs } from "node:util";
import { PLAN_LIMITS, RunbookInput, type Runbook } from "@ir/core";
import { loadRunbookDir } from "@ir/match";
import { loadConfig } from "./config";
import { CreateKey, CreateTenant, DEFAULT_OVERLAP_SECONDS, issueKey, liveKeys, newTenant, revokeKey, rotateKey } from "@ir/api";
import { openStore, startEmbedded } from "./start";
import { DataDirError } from "./db";

const USAGE = `ir — Incident Responder (embedded runtime)

  ir serve                                  run the HTTP API and the whole pipeline (what npm start runs)
  ir tenant create --name NAME [--plan P] [--no-global-runbooks] [--retention-days N] [--ingest-per-second N]  (N: enterprise)
  ir runbooks import DIR --tenant ID        import every *.md in DIR (front matter: title, tags)
  ir keys create --tenant ID --label L      issue another API key (printed once; only its hash is stored)
  ir keys list --tenant ID                  live keys: id, label, prefix, last use, expiry
  ir keys rotate KEY_ID --tenant ID [--overlap SECONDS]
                                            a new key now; the old one works for the overlap (default 86400)
  ir keys revoke KEY_ID --tenant ID         the key stops working at once
  ir dlq list [--tenant ID] [--cursor C]    dead-lettered messages, newest first, 100 at a time
  ir dlq replay ID                          put one back on its queue

Settings (environment): PORT, HOST, IR_DATA_DIR, IR_ADMIN_KEY, IR_PAGERDUTY_EVENTS_URL, IR_PUBLIC_URL, LOG_LEVEL`;

/** The commands and their subcommands: anything else is a usage error, found before the store is opened (or created). */
const COMMANDS: Record<string, string[]> = { serve: [], tenant: ["create"], runbooks: ["import"], keys: ["create", "list", "rotate", "revoke"], dlq: ["list", "replay"] };

/** Whole non-negative numbers as typed: Number() would take "" as 0 and "0x10" as 16. */
const wholeNumber = (flag: string, value: string): number => {
  if (!/^\d{1,9}$/.test(value)) throw new Error(`${flag}: expected a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
};
/** Text from tenants (a receiver's error in a dead letter's reason) must not drive the operator's terminal. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ");

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      name: { type: "string" }, plan: { type: "string" }, tenant: { type: "string" }, label: { type: "string" }, "no-global-runbooks": { type: "boolean" },
      "retention-days": { type: "string" }, "ingest-per-second": { type: "string" }, overlap: { type: "string" }, cursor: { type: "string" }, help: { type: "boolean", short: "h" },
    },
  });
  const [cmd, sub, arg] = positionals;
  if (!cmd || values.help) { console.log(USAGE); return; }
  if (!(cmd in COMMANDS) || (COMMANDS[cmd].length > 0 && !COMMANDS[cmd].includes(sub ?? ""))) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  if (cmd === "serve") {
    const app = await startEmbedded(config);
    if (app.generatedAdminKey) console.log(`\nAdmin key (shown once, only its hash is stored): ${app.generatedAdminKey}\n`);
    const stop = async () => { await app.close(); process.exit(0); };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return;
  }
  // Offline commands share the store with a server that may be running: WAL lets both open it.
  const store = openStore({ ...config, LOG_LEVEL: "warn" });
  const { ports, writer } = store;
  try {
    if (cmd === "tenant" && sub === "create") {
      if (!values.name) throw new Error("--name is required");
      const body = CreateTenant.safeParse({
        name: values.name, plan: values.plan ?? "free", global_runbooks: !values["no-global-runbooks"],
        ...(values["retention-days"] !== undefined ? { retention_days: wholeNumber("--retention-days", values["retention-days"]) } : {}),
        ...(values["ingest-per-second"] !== undefined ? { ingest_per_second: wholeNumber("--ingest-per-second", values["ingest-per-second"]) } : {}),
      });
      if (!body.success) throw new Error(body.error.issues.map((i) => `${i.path.join(".") || "tenant"}: ${i.message}`).join("; "));
      const { tenant, key, apiKey } = newTenant(ports, body.data);
      await writer.exclusive(() => ports.tenants.create(tenant, key));
      console.log(JSON.stringify({ tenant_id: tenant.tenant_id, api_key: apiKey, plan: tenant.plan }, null, 2));
    } else if (cmd === "runbooks" && sub === "import") {
      if (!arg || !values.tenant) throw new Error("usage: ir runbooks import DIR --tenant ID");
      const tenant = await ports.tenants.get(values.tenant);
      if (!tenant) throw new Error(`no tenant ${values.tenant}`);
      const now = ports.clock.now().toISOString();
      const runbooks = loadRunbookDir(arg);
      // What the API would refuse, the CLI refuses too, before importing anything.
      for (const rb of runbooks) {
        const ok = RunbookInput.safeParse({ title: rb.title, content: rb.content, tags: rb.tags });
        if (!ok.success) throw new Error(`${rb.slug}.md: ${ok.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
      }
      const limit = PLAN_LIMITS[tenant.plan].customRunbooks;
      const held = await ports.runbooks.count(tenant.tenant_id);
      if (held + runbooks.length > limit) throw new Error(`plan ${tenant.plan} allows ${limit} custom runbooks; ${tenant.tenant_id} has ${held}, importing ${runbooks.length} would exceed it`);
      for (const rb of runbooks) {
        const doc: Runbook = { runbook_id: ports.newId("rb"), tenant_id: tenant.tenant_id, title: rb.title, content: rb.content, tags: rb.tags, created_at: now, updated_at: now, success_count: 0, failure_count: 0, created_by: "cli" };
        await writer.exclusive(() => ports.runbooks.put(doc));
      }
      console.log(`imported ${runbooks.length} runbooks into ${tenant.tenant_id}`);
    } else if (cmd === "keys" && ["create", "list", "rotate", "revoke"].includes(sub ?? "")) {
      if (!values.tenant) throw new Error(`--tenant is required`);
      const tenantId = values.tenant;
      if (!(await ports.tenants.get(tenantId))) throw new Error(`no tenant ${tenantId}`);
      if (sub === "create") {
        if (!values.label) throw new Error("usage: ir keys create --tenant ID --label L");
        const label = CreateKey.safeParse({ label: values.label });
        if (!label.success) throw new Error(`--label: ${label.error.issues[0]?.message}`);
        const { key, apiKey } = await writer.exclusive(() => issueKey(ports, tenantId, label.data.label, "cli"));
        console.log(JSON.stringify({ key_id: key.key_id, api_key: apiKey }, null, 2));
      } else if (sub === "list") {
        console.log(JSON.stringify({ keys: await liveKeys(ports, tenantId) }, null, 2));
      } else if (sub === "rotate") {
        if (!arg) throw new Error("usage: ir keys rotate KEY_ID --tenant ID [--overlap SECONDS]");
        const overlap = values.overlap === undefined ? DEFAULT_OVERLAP_SECONDS : wholeNumber("--overlap", values.overlap);
        if (overlap > 30 * 86_400) throw new Error("--overlap: expected whole seconds from 0 to 2592000");
        console.log(JSON.stringify(await writer.exclusive(() => rotateKey(ports, tenantId, arg, overlap, "cli")), null, 2));
      } else {
        if (!arg) throw new Error("usage: ir keys revoke KEY_ID --tenant ID");
        await writer.exclusive(() => revokeKey(ports, tenantId, arg, "cli"));
        console.log(`revoked ${arg}`);
      }
    } else if (cmd === "dlq" && sub === "list") {
      const page = await ports.deadLetters.list(values.tenant ?? null, { limit: 100, cursor: values.cursor });
      for (const d of page.items) console.log([d.id, d.stage, d.event_type, d.tenant_id, d.failed_at, d.reason].map(printable).join("\t"));
      if (!page.items.length) console.log("no dead letters");
      if (page.next_cursor) console.log(`more: ir dlq list${values.tenant ? ` --tenant ${values.tenant}` : ""} --cursor ${page.next_cursor}`);
    } else if (cmd === "dlq" && sub === "replay") {
      if (!arg) throw new Error("usage: ir dlq replay ID");
      if (!(await writer.exclusive(() => ports.deadLetters.replay(null, arg)))) throw new Error(`no dead letter ${arg}`);
      console.log(`replayed ${arg}`);
    }
  } finally {
    store.db.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof DataDirError ? `error: ${err.message}` : `error: ${(err as Error).message}`);
  process.exit(1);
});
