import { parseArgs } from "node:util";
import type { Runbook } from "@ir/core";
import { loadRunbookDir } from "@ir/match";
import { loadConfig } from "./config";
import { newTenant } from "@ir/api";
import { generateApiKey, hashKey, keyPrefix } from "@ir/core";
import { openStore, startEmbedded } from "./start";
import { DataDirError } from "./db";

const USAGE = `ir — Incident Responder (embedded runtime)

  ir serve                                  run the HTTP API and the whole pipeline (what npm start runs)
  ir tenant create --name NAME [--plan P] [--no-global-runbooks]
  ir runbooks import DIR --tenant ID        import every *.md in DIR (front matter: title, tags)
  ir keys create --tenant ID --label L      issue another API key
  ir dlq list [--tenant ID]                 dead-lettered messages
  ir dlq replay ID                          put one back on its queue

Settings (environment): PORT, HOST, IR_DATA_DIR, IR_ADMIN_KEY, IR_PAGERDUTY_EVENTS_URL, IR_PUBLIC_URL, LOG_LEVEL`;

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { name: { type: "string" }, plan: { type: "string" }, tenant: { type: "string" }, label: { type: "string" }, "no-global-runbooks": { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  const [cmd, sub, arg] = positionals;
  if (!cmd || values.help) { console.log(USAGE); return; }
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
      const { tenant, key, apiKey } = newTenant(ports, { name: values.name, plan: (values.plan ?? "free") as never, global_runbooks: !values["no-global-runbooks"] });
      await writer.exclusive(() => ports.tenants.create(tenant, key));
      console.log(JSON.stringify({ tenant_id: tenant.tenant_id, api_key: apiKey, plan: tenant.plan }, null, 2));
    } else if (cmd === "runbooks" && sub === "import") {
      if (!arg || !values.tenant) throw new Error("usage: ir runbooks import DIR --tenant ID");
      const tenant = await ports.tenants.get(values.tenant);
      if (!tenant) throw new Error(`no tenant ${values.tenant}`);
      const now = ports.clock.now().toISOString();
      const runbooks = loadRunbookDir(arg);
      for (const rb of runbooks) {
        const doc: Runbook = { runbook_id: ports.newId("rb"), tenant_id: tenant.tenant_id, title: rb.title, content: rb.content, tags: rb.tags, created_at: now, updated_at: now, success_count: 0, failure_count: 0, created_by: "cli" };
        await writer.exclusive(() => ports.runbooks.put(doc));
      }
      console.log(`imported ${runbooks.length} runbooks into ${tenant.tenant_id}`);
    } else if (cmd === "keys" && sub === "create") {
      if (!values.tenant || !values.label) throw new Error("usage: ir keys create --tenant ID --label L");
      if (!(await ports.tenants.get(values.tenant))) throw new Error(`no tenant ${values.tenant}`);
      const apiKey = generateApiKey();
      const now = ports.clock.now().toISOString();
      const key = { key_id: ports.newId("key"), tenant_id: values.tenant, label: values.label, prefix: keyPrefix(apiKey), hash: hashKey(apiKey), created_at: now, last_used_at: null, expires_at: null };
      await writer.exclusive(() => ports.tenants.putKey(key));
      console.log(JSON.stringify({ key_id: key.key_id, api_key: apiKey }, null, 2));
    } else if (cmd === "dlq" && sub === "list") {
      const page = await ports.deadLetters.list(values.tenant ?? null, { limit: 100 });
      for (const d of page.items) console.log(`${d.id}\t${d.stage}\t${d.event_type}\t${d.tenant_id}\t${d.failed_at}\t${d.reason}`);
      if (!page.items.length) console.log("no dead letters");
    } else if (cmd === "dlq" && sub === "replay") {
      if (!arg) throw new Error("usage: ir dlq replay ID");
      console.log((await writer.exclusive(() => ports.deadLetters.replay(null, arg))) ? `replayed ${arg}` : `no dead letter ${arg}`);
    } else {
      console.log(USAGE);
      process.exitCode = 2;
    }
  } finally {
    store.db.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof DataDirError ? `error: ${err.message}` : `error: ${(err as Error).message}`);
  process.exit(1);
});
