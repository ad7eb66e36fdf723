import { createApi } from "@ir/api";
import type { StageHandler, StageName } from "@ir/core";
import { ingestStage } from "@ir/ingest";
import { embedStage } from "@ir/embed";
import { matchStage, seedGlobalRunbooks } from "@ir/match";
import { enrichStage } from "@ir/enrich";
import { notifyStage } from "@ir/notify";
import { DB_FILE, openDb } from "./db";
import { Checkpointer } from "./checkpointer";
import { join } from "node:path";
import { createLogger, type LogDestination } from "./logger";
import { createEmbeddedPorts } from "./ports";
import { Pump } from "./pump";
import { serveHttp } from "./http-front";
import { adminKeyHash } from "./admin-key";
import { dashboardHtml } from "./dashboard";
import { RetentionJob } from "./retention";
import type { EmbeddedConfig } from "./config";

/** An IPv6 address is bracketed in a URL (http://[::1]:3000). */
const urlOf = (host: string, port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
const WILDCARD = new Set(["0.0.0.0", "::", "[::]"]);

/** Stage name → handler: the embedded runtime's half of the stage graph's wiring. */
export const HANDLERS: Record<StageName, StageHandler> = { ingest: ingestStage, embed: embedStage, match: matchStage, enrich: enrichStage, notify: notifyStage };

export interface StartOptions extends Partial<EmbeddedConfig> {
  dataDir?: string; port?: number; host?: string; adminKey?: string; logDestination?: LogDestination;
  /** How often an idle pump looks for work it was not told about (see IDLE_POLL_MS). */
  idlePollMs?: number;
}

/** The store and its ports without server or workers: what offline CLI commands use. */
export function openStore(opts: StartOptions = {}, onEnqueued: () => void = () => {}) {
  const log = createLogger(opts.LOG_LEVEL ?? (process.env.LOG_LEVEL as never) ?? "info", opts.logDestination);
  const dataDir = opts.dataDir ?? opts.IR_DATA_DIR ?? "./.ir-data";
  const db = openDb(dataDir);
  const host = opts.host ?? opts.HOST ?? "127.0.0.1";
  const port = opts.port ?? opts.PORT ?? 3000;
  const settings = { publicUrl: opts.IR_PUBLIC_URL ?? urlOf(host, port), pagerdutyEventsUrl: opts.IR_PAGERDUTY_EVENTS_URL ?? "https://events.pagerduty.com/v2/enqueue" };
  return { db, log, dataDir, host, port, ...createEmbeddedPorts(db, log, settings, onEnqueued) };
}

export async function startEmbedded(opts: StartOptions = {}) {
  let pump: Pump | undefined;
  const { db, log, dataDir, host, port, ports, inTransaction, writer, queue, dropCaches, watch } = openStore(opts, () => pump?.kick());
  const admin = adminKeyHash(db, opts.adminKey ?? opts.IR_ADMIN_KEY);
  pump = new Pump(queue, writer, ports, inTransaction, HANDLERS, { idlePollMs: opts.idlePollMs });
  const checkpointer = new Checkpointer(join(dataDir, DB_FILE), () => writer.hold(), {
    onError: (err) => log.error({ err }, "checkpointer thread failed: the WAL is no longer copied into the database until a restart"),
  });
  await writer.exclusive(() => seedGlobalRunbooks(inTransaction));
  const retention = new RetentionJob(db, writer, ports.vectors, { now: () => ports.clock.now() }, log, dropCaches).start();

  const api = createApi(ports, {
    adminKeyHash: admin.hash,
    waitForOutcome: (t, a, ms) => ports.alarms.waitFor(t, a, ms),
    exclusive: (fn) => writer.exclusive(() => fn(inTransaction)),
    dashboardHtml,
  });
  // `ir` commands write to the same store while the server runs: their changes must show within a second.
  watch.start();
  const http = await serveHttp(api, log, host, port);
  const bound = http.port;
  if (!opts.IR_PUBLIC_URL) {
    ports.settings.publicUrl = urlOf(host, bound);
    // Links in pages and Slack messages would point at an address nobody can open.
    if (WILDCARD.has(host)) log.warn({ host }, "HOST listens on every address: set IR_PUBLIC_URL to the URL people open, or links in notifications will not work");
  }
  // Work accepted before a crash is still queued: pick it up now.
  pump.kick();
  log.info({ url: urlOf(host, bound), data_dir: dataDir }, "incident responder ready");

  return {
    url: urlOf(host, bound),
    port: bound,
    generatedAdminKey: admin.generated,
    ports,
    pump,
    queue,
    /** Every write of the store goes through it. */
    writer,
    retention,
    async close() {
      // Requests in flight are answered first, with the pipeline still deciding the alarms they wait for.
      await http.close();
      await retention.close();
      // Sends in flight record their outcome before the store closes: failing them would page again after a restart.
      await pump!.stop();
      // Writes already queued (behind a checkpointer's hold, say) finish before the store closes under them.
      await writer.exclusive(() => undefined);
      watch.stop();
      db.close();
      await checkpointer.stop();
    },
  };
}
export type Embedded = Awaited<ReturnType<typeof startEmbedded>>;
