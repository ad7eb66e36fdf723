import { newId, systemClock, tenantNamespace, Unauthorized, type Bus, type Ports, type Logger, type PipelineEvent } from "@ir/core";
import { HashEmbedder } from "@ir/embed";
import { ExtractiveWriter } from "@ir/enrich";
import { invalidateCatalog } from "@ir/match";
import { Tx, type Db } from "./db";
import { LocalQueue } from "./queue";
import { Writer } from "./writer";
import { LocalVectorIndex } from "./vector-index";
import { SqliteTenants } from "./stores/tenants";
import { SqliteIncidents } from "./stores/incidents";
import { SqliteRunbooks } from "./stores/runbooks";
import { SqliteAlarms } from "./stores/alarms";
import { SqliteAudit } from "./stores/audit";
import { SqliteUsage, SqliteKv } from "./stores/usage";
import { SqliteDeadLetters } from "./stores/dead-letters";
import { SqliteEraser } from "./stores/eraser";
import { ChangeWatch } from "./change-watch";

export interface EmbeddedSettings { publicUrl: string; pagerdutyEventsUrl: string }

export interface EmbeddedPorts extends Ports {
  incidents: SqliteIncidents;
  tenants: SqliteTenants;
  alarms: SqliteAlarms;
  writer: ExtractiveWriter;
}

/** The embedded runtime's adapters: everything on one SQLite file plus an in-memory vector index. */
export function createEmbeddedPorts(db: Db, log: Logger, settings: EmbeddedSettings, onEnqueued: () => void) {
  const tx = new Tx(db);
  const queue = new LocalQueue(db);
  const writer = new Writer(tx, queue, systemClock, onEnqueued);
  const vectors = new LocalVectorIndex(db);
  const tenants = new SqliteTenants(db);
  const incidents = new SqliteIncidents(db, tx);
  const dropCaches = () => { vectors.invalidate(); tenants.invalidate(); incidents.invalidate(); };
  tx.whenRolledBack(() => { vectors.rolledBack(); tenants.invalidate(); incidents.invalidate(); });
  tx.whenEveryCommit(() => vectors.committed());
  /**
   * Another connection committed: an `ir` command (keys, tenants, runbooks, dead letters), or an erase by
   * another process. What those can change is read again: keys, tenants, incident documents, runbook
   * catalogs. The vector index is kept, but for erased tenants: only this process's pipeline writes vectors,
   * and reloading 100k of them stalls the event loop, which the checkpointer's TRUNCATE (seen as a change,
   * see ChangeWatch) would then cause for nothing.
   */
  const watch = new ChangeWatch(db, tx, () => {
    for (const t of tenants.reloadAfterExternalWrite()) vectors.forget(tenantNamespace(t));
    incidents.invalidate();
    invalidateCatalog();
    // `ir dlq replay` queued work: start it now, not at the idle pump's next look.
    onEnqueued();
  });
  const eraser = new SqliteEraser(db, vectors, () => writer.hold(), log);
  const erased = (tenantId: string) => tenants.isErased(tenantId);
  const bus: Bus = {
    // A resolution authenticated before its tenant's erase and written after it is refused like an alarm (see SqliteAlarms).
    publish: async (events) => {
      const queued = await writer.write(() => {
        if (events.some((e) => erased(e.tenant_id))) return false;
        writer.enqueue(events);
        return true;
      });
      if (!queued) throw new Unauthorized();
    },
  };
  const alarms = new SqliteAlarms(db, tx, writer, async (tenantId, incidentId) => (await incidents.get(tenantId, incidentId))?.recommendations ?? [], erased);
  const kv = new SqliteKv(db, tx);
  const ports: EmbeddedPorts = {
    clock: systemClock,
    newId,
    log,
    tenants,
    incidents,
    runbooks: new SqliteRunbooks(db),
    alarms,
    vectors,
    embedder: new HashEmbedder(),
    writer: new ExtractiveWriter(),
    audit: new SqliteAudit(db),
    usage: new SqliteUsage(db, tx),
    kv,
    bus,
    deadLetters: new SqliteDeadLetters(db, onEnqueued),
    eraser: {
      erase: async (tenantId) => {
        await eraser.erase(tenantId);
        dropCaches();
        writer.afterCommit(() => { tenants.markErased(tenantId); eraser.scrub(); });
      },
    },
    settings: { ...settings, allowPrivateTargets: true },
  };
  /**
   * The same ports for code that runs inside a transaction (stage handlers, API mutations): what they accept
   * or publish joins that transaction. Through `ports` it would wait for the next group commit, which waits
   * for the transaction in progress. Everything else is read through to `ports`, so that a port swapped
   * there (a test's clock) is swapped here too.
   */
  const inTransaction = Object.create(ports, {
    alarms: { value: alarms.joining(), enumerable: true },
    kv: { value: kv.joining(), enumerable: true },
    bus: { value: { publish: (events: PipelineEvent[]) => writer.join(() => writer.enqueue(events)) } satisfies Bus, enumerable: true },
  }) as EmbeddedPorts;
  return { ports, inTransaction, queue, writer, tx, dropCaches, watch };
}
