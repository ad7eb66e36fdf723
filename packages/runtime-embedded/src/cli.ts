import { parseArgs } from "node:util";
import type { Runbook } from "@ir/core";
import { loadRunbookDir } from "@ir/match";
import { loadConfig } from "./config";
import { CreateTenant, DEFAULT_OVERLAP_SECONDS, issueKey, liveKeys, newTenant, revokeKey, rotateKey } from "@ir/api";
import { openStore, startEmbedded } from "./start";
import { DataDirError } from "./db";

const USAGE = `ir — Incident Responder (embedded runtime)

  ir serve                                  run the HTTP API and the whole pipeline (what npm start runs)
  ir tenant create --name NAME [--plan P] [--no-global-runbooks] [--retention-days N (enterprise)]
  ir runbooks import DIR --tenant ID        import every *.md in DIR (front matter: title, tags)
  ir keys create --tenant ID --label L      issue another API key (printed once; only its hash is stored)
  ir keys list --tenant ID                  live keys: id, label, prefix, last use, expiry
  ir keys rotate KEY_ID --tenant ID [--overlap SECONDS]
                                            a new key now; the old one works for the overlap (default 86400)
  ir keys revoke KEY_ID --tenant ID         the key stops working at once
  ir dlq list [--tenant ID] [--cursor C]    dead-lettered messages, newest first, 100 at a time
  ir dlq replay ID                          put one back on its queue

Settings (environment): PORT, HOST, IR_DATA_DIR, IR_ADMIN_KEY, IR_PAGERDUTY_EVENTS_URL, IR_PUBLIC_URL, LOG_LEVEL`;

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      name: { type: "string" }, plan: { type: "string" }, tenant: { type: "string" }, label: { type: "string" }, "no-global-runbooks": { type: "boolean" },
      "retention-days": { type: "string" }, overlap: { type: "string" }, cursor: { type: "string" }, help: { type: "boolean", short: "h" },
    },
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
      const body = CreateTenant.safeParse({
        name: values.name, plan: values.plan ?? "free", global_runbooks: !values["no-global-runbooks"],
        ...(values["retention-days"] !== undefined ? { retention_days: Number(values["retention-days"]) } : {}),
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
        const { key, apiKey } = await writer.exclusive(() => issueKey(ports, tenantId, values.label!, "cli"));
        console.log(JSON.stringify({ key_id: key.key_id, api_key: apiKey }, null, 2));
      } else if (sub === "list") {
        console.log(JSON.stringify({ keys: await liveKeys(ports, tenantId) }, null, 2));
      } else if (sub === "rotate") {
        if (!arg) throw new Error("usage: ir keys rotate KEY_ID --tenant ID [--overlap SECONDS]");
        const overlap = values.overlap === undefined ? DEFAULT_OVERLAP_SECONDS : Number(values.overlap);
        if (!Number.isInteger(overlap) || overlap < 0 || overlap > 30 * 86_400) throw new Error("--overlap: expected whole seconds from 0 to 2592000");
        console.log(JSON.stringify(await writer.exclusive(() => rotateKey(ports, tenantId, arg, overlap, "cli")), null, 2));
      } else {
        if (!arg) throw new Error("usage: ir keys revoke KEY_ID --tenant ID");
        await writer.exclusive(() => revokeKey(ports, tenantId, arg, "cli"));
        console.log(`revoked ${arg}`);
      }
    } else if (cmd === "dlq" && sub === "list") {
      const page = await ports.deadLetters.list(values.tenant ?? null, { limit: 100, cursor: values.cursor });
      for (const d of page.items) console.log(`${d.id}\t${d.stage}\t${d.event_type}\t${d.tenant_id}\t${d.failed_at}\t${d.reason}`);
      if (!page.items.length) console.log("no dead letters");
      if (page.next_cursor) console.log(`more: ir dlq list${values.tenant ? ` --tenant ${values.tenant}` : ""} --cursor ${page.next_cursor}`);
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
