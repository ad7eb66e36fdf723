import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";

/** A WAL past this size is restarted from its beginning, so it stays about this large on disk. */
export const WAL_RESTART_BYTES = 64 * 1024 * 1024;

/**
 * Moves WAL pages into the database file on a second connection in a worker thread. SQLite's automatic
 * checkpoint runs inside whichever COMMIT crosses the threshold, fsync included: on the event loop that is
 * a pause of hundreds of milliseconds for every request in flight. PASSIVE never blocks the writer.
 *
 * PASSIVE alone never lets the WAL start over while writes are continuous: the log restarts only when a
 * write begins with every frame already copied, and under load a commit always lands during the copy
 * (measured: 477 MB of WAL after 40 s at 2,600 alarms/s, and every read slower as it grew). So once the WAL
 * passes `restartBytes`, the worker asks the writer to hold its transactions (requests keep queueing in
 * memory; the event loop never blocks), copies the few frames written since its last pass with RESTART,
 * and releases the writer, whose next commit writes from the start of the file.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.file);
// RESTART waits for readers while the writer is held: a reader that stays (another process holding a read
// transaction) must cost the pipeline a short pause, then attempts further and further apart.
db.pragma("busy_timeout = " + workerData.readerWaitMs);
const frameBytes = db.pragma("page_size", { simple: true }) + 24;
let holding = false;
let backoffMs = 0;
let notBefore = 0;
const tick = () => {
  if (holding || Date.now() < notBefore) return;
  try {
    const [r] = db.pragma("wal_checkpoint(PASSIVE)");
    if (r.log * frameBytes > workerData.restartBytes) { holding = true; parentPort.postMessage("hold"); }
  } catch {}
};
const timer = setInterval(tick, workerData.everyMs);
parentPort.on("message", (m) => {
  if (m === "held") {
    let busy = 1;
    try { busy = db.pragma("wal_checkpoint(RESTART)")[0].busy; } catch {}
    holding = false;
    parentPort.postMessage("release");
    backoffMs = busy ? Math.min(Math.max(2 * backoffMs, 10000), 300000) : 0;
    notBefore = Date.now() + backoffMs;
    return;
  }
  clearInterval(timer);
  db.pragma("busy_timeout = 5000");
  try { db.pragma("wal_checkpoint(TRUNCATE)"); } catch {}
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  private release: (() => void) | null = null;
  constructor(file: string, hold: () => Promise<() => void>, o: { everyMs?: number; restartBytes?: number; readerWaitMs?: number } = {}) {
    const module = createRequire(import.meta.url).resolve("better-sqlite3");
    const workerData = { file, module, everyMs: o.everyMs ?? 1000, restartBytes: o.restartBytes ?? WAL_RESTART_BYTES, readerWaitMs: o.readerWaitMs ?? 200 };
    this.worker = new Worker(WORKER, { eval: true, workerData });
    this.worker.on("message", (m) => {
      if (m === "hold") void hold().then((release) => { this.release = release; this.worker.postMessage("held"); });
      else this.releaseWriter();
    });
    // A worker that dies while the writer is held must not leave it held.
    this.worker.on("exit", () => this.releaseWriter());
    this.worker.on("error", () => this.releaseWriter());
    this.worker.unref();
  }
  private releaseWriter() { this.release?.(); this.release = null; }
  /** Final checkpoint, then the thread ends. */
  stop(): Promise<void> {
    this.releaseWriter();
    return new Promise((resolve) => {
      this.worker.once("exit", () => resolve());
      this.worker.postMessage("stop");
      setTimeout(() => void this.worker.terminate(), 5000).unref();
    });
  }
}
