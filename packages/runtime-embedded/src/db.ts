import Database from "better-sqlite3";
import { mkdirSync, readFileSync, accessSync, constants } from "node:fs";
import { join } from "node:path";

export type Db = Database.Database;

const SCHEMA = readFileSync(new URL("./schema.sql", import.meta.url), "utf8");

/** Thrown at start-up for a data dir we cannot use: a clear message instead of a corrupt store later. */
export class DataDirError extends Error {}

export function openDb(dataDir: string): Db {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    throw new DataDirError(`IR_DATA_DIR ${dataDir} is not a writable directory: ${(err as Error).message}`);
  }
  let db: Db;
  try {
    db = new Database(join(dataDir, "ir.db"));
    // WAL + NORMAL survives kill -9 of this process (the OS keeps the log); FULL would also survive power loss at ~3x the write cost.
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    // Deleted rows are overwritten, not left in free pages: a GDPR erase must leave nothing readable on disk.
    db.pragma("secure_delete = ON");
    db.exec(SCHEMA);
  } catch (err) {
    throw new DataDirError(`cannot open the database in ${dataDir}: ${(err as Error).message}`);
  }
  return db;
}

/** Run one unit of work inside a transaction that also works around `await` (better-sqlite3's helper is sync-only). */
export class Tx {
  private depth = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private afterCommit: Array<() => void> = [];
  private onRollback: Array<() => void> = [];
  constructor(readonly db: Db) {}

  /** Serializes all writers of this process: the store is one connection, and interleaved awaits must not share a transaction. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(() => this.transaction(fn));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Savepoint inside an open transaction: one message's failure rolls back only its own writes. */
  async savepoint<T>(fn: () => Promise<T> | T): Promise<T> {
    const name = `sp${this.depth++}`;
    this.db.exec(`SAVEPOINT ${name}`);
    try {
      const out = await fn();
      this.db.exec(`RELEASE ${name}`);
      return out;
    } catch (err) {
      this.db.exec(`ROLLBACK TO ${name}`);
      this.db.exec(`RELEASE ${name}`);
      this.rolledBack();
      throw err;
    } finally {
      this.depth--;
    }
  }

  /** The same for synchronous work (group-committed accepts). */
  savepointSync<T>(fn: () => T): T {
    this.db.exec("SAVEPOINT g");
    try {
      const out = fn();
      this.db.exec("RELEASE g");
      return out;
    } catch (err) {
      this.db.exec("ROLLBACK TO g");
      this.db.exec("RELEASE g");
      this.rolledBack();
      throw err;
    }
  }

  /** Callbacks that must only see committed state (waking waiters, cache fills). */
  whenCommitted(fn: () => void) { this.afterCommit.push(fn); }
  /** Caches that may hold uncommitted state register here to be dropped on rollback. */
  whenRolledBack(fn: () => void) { this.onRollback.push(fn); }

  private rolledBack() { for (const fn of this.onRollback) fn(); }

  private async transaction<T>(fn: () => Promise<T> | T): Promise<T> {
    this.db.exec("BEGIN IMMEDIATE");
    this.depth = 1;
    let out: T;
    try {
      out = await fn();
      this.db.exec("COMMIT");
    } catch (err) {
      this.db.exec("ROLLBACK");
      this.afterCommit = [];
      this.rolledBack();
      throw err;
    } finally {
      this.depth = 0;
    }
    const cbs = this.afterCommit;
    this.afterCommit = [];
    for (const cb of cbs) cb();
    return out;
  }
}
