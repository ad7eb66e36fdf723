import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";

/** A WAL past this size is restarted from its beginning, and cut back to nothing once writes pause. */
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
 * and releases the writer, whose next commit writes from the start of the file. When a pass finds no new
 * frames since the last one and the file is past `restartBytes`, TRUNCATE cuts it back the same way.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { statSync } = require("node:fs");
const Database = require(workerData.module);
const db = new Database(workerData.file);
// RESTART waits for readers while the writer is held: a reader that stays (another process holding a read
// transaction) must cost the pipeline a short pause, then attempts further and further apart.
db.pragma("busy_timeout = " + workerData.readerWaitMs);
const frameBytes = db.pragma("page_size", { simple: true }) + 24;
const fileBytes = () => { try { return statSync(workerData.file + "-wal").size; } catch { return 0; } };
let holding = null;
let backoffMs = 0;
let notBefore = 0;
let lastLog = -1;
const tick = () => {
  if (holding) return;
  let r;
  try { [r] = db.pragma("wal_checkpoint(PASSIVE)"); } catch { return; }
  const quiet = r.busy === 0 && r.log === lastLog && r.checkpointed === r.log;
  lastLog = r.log;
  if (Date.now() < notBefore) return;
  // Nothing written since the last pass: a restart would wait for a write to take effect; truncate instead.
  const mode = quiet ? (fileBytes() > workerData.restartBytes ? "TRUNCATE" : null) : r.log * frameBytes > workerData.restartBytes ? "RESTART" : null;
  if (mode) { holding = mode; parentPort.postMessage("hold"); }
};
const timer = setInterval(tick, workerData.everyMs);
parentPort.on("message", (m) => {
  if (m === "held") {
    let busy = 1;
    try { busy = db.pragma("wal_checkpoint(" + holding + ")")[0].busy; } catch {}
    holding = null;
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
  private exited = false;
  constructor(
    file: string,
    hold: () => Promise<() => void>,
    o: { everyMs?: number; restartBytes?: number; readerWaitMs?: number; onError?: (err: Error) => void } = {},
  ) {
    const module = createRequire(import.meta.url).resolve("better-sqlite3");
    const workerData = { file, module, everyMs: o.everyMs ?? 1000, restartBytes: o.restartBytes ?? WAL_RESTART_BYTES, readerWaitMs: o.readerWaitMs ?? 200 };
    this.worker = new Worker(WORKER, { eval: true, workerData });
    this.worker.on("message", (m) => {
      if (m !== "hold") { this.releaseWriter(); return; }
      void hold().then((release) => {
        // The worker may have died while the queued transactions drained: nobody would release the writer.
        if (this.exited) { release(); return; }
        this.release = release;
        this.worker.postMessage("held");
      });
    });
    // A worker that dies while the writer is held must not leave it held; one that dies at all stops
    // checkpointing (autocheckpoint is off), which the operator must hear about.
    this.worker.on("error", (err) => { o.onError?.(err); });
    this.worker.on("exit", () => { this.exited = true; this.releaseWriter(); });
    this.worker.unref();
  }
  private releaseWriter() { this.release?.(); this.release = null; }
  /** Final checkpoint, then the thread ends. */
  stop(): Promise<void> {
    this.releaseWriter();
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.worker.once("exit", () => resolve());
      this.worker.postMessage("stop");
      setTimeout(() => void this.worker.terminate(), 5000).unref();
    });
  }
}
