import { newId, systemClock, type Bus, type Ports, type Logger } from "@ir/core";
import { HashEmbedder } from "@ir/embed";
import { ExtractiveWriter } from "@ir/enrich";
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
  tx.whenRolledBack(dropCaches);
  const eraser = new SqliteEraser(db, vectors);
  const bus: Bus = { publish: (events) => writer.write(() => writer.enqueue(events)) };
  const ports: EmbeddedPorts = {
    clock: systemClock,
    newId,
    log,
    tenants,
    incidents,
    runbooks: new SqliteRunbooks(db),
    alarms: new SqliteAlarms(db, writer),
    vectors,
    embedder: new HashEmbedder(),
    writer: new ExtractiveWriter(),
    audit: new SqliteAudit(db),
    usage: new SqliteUsage(db, tx),
    kv: new SqliteKv(db, tx),
    bus,
    deadLetters: new SqliteDeadLetters(db, onEnqueued),
    eraser: {
      erase: async (tenantId) => { await eraser.erase(tenantId); dropCaches(); writer.afterCommit(() => eraser.scrub()); },
    },
    settings: { ...settings, allowPrivateTargets: true },
  };
  return { ports, queue, writer, tx, dropCaches };
}
