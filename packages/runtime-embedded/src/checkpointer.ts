import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";

/**
 * Moves WAL pages into the database file on a second connection in a worker thread. SQLite's automatic
 * checkpoint runs inside whichever COMMIT crosses the threshold, fsync included: on the event loop that is
 * a pause of hundreds of milliseconds for every request in flight. PASSIVE never blocks the writer.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
const timer = setInterval(() => { try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {} }, workerData.everyMs);
parentPort.on("message", () => {
  clearInterval(timer);
  try { db.pragma("wal_checkpoint(TRUNCATE)"); } catch {}
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  constructor(file: string, everyMs = 1000) {
    const module = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER, { eval: true, workerData: { file, module, everyMs } });
    this.worker.unref();
  }
  /** Final checkpoint, then the thread ends. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.worker.once("exit", () => resolve());
      this.worker.postMessage("stop");
      setTimeout(() => void this.worker.terminate(), 5000).unref();
    });
  }
}
