import Database from "better-sqlite3";
import { mkdirSync, readFileSync, accessSync, constants } from "node:fs";
import { join } from "node:path";
import type { WriteBack } from "./write-back";

export type Db = Database.Database;
export const DB_FILE = "ir.db";

const SCHEMA = readFileSync(new URL("./schema.sql", import.meta.url), "utf8");

/** Thrown at start-up for a data dir we cannot use: a clear message instead of a corrupt store later. */
export class DataDirError extends Error {}

/** How long a write waits for another connection's lock (the checkpointer, a CLI process) before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

export function openDb(dataDir: string): Db {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    throw new DataDirError(`IR_DATA_DIR ${dataDir} is not a writable directory: ${(err as Error).message}`);
  }
  let db: Db;
  try {
    db = new Database(join(dataDir, DB_FILE));
    // WAL + NORMAL survives kill -9 of this process (the OS keeps the log); FULL would also survive power loss at ~3x the write cost.
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Checkpoints run on another thread (checkpointer.ts), never inside a request's COMMIT.
    db.pragma("wal_autocheckpoint = 0");
    // No truncation on this connection: SQLite would cut the WAL back inside the COMMIT that restarts it, and
    // ftruncate waits for the writeback of every page it drops (430 ms measured under load, on the event loop).
    // The checkpointer shrinks the WAL instead, from its own thread, once writes pause.
    db.pragma("journal_size_limit = -1");
    // Deleted rows are overwritten, not left in free pages: a GDPR erase must leave nothing readable on disk.
    db.pragma("secure_delete = ON");
    db.exec(SCHEMA);
    memoizePrepare(db);
  } catch (err) {
    throw new DataDirError(`cannot open the database in ${dataDir}: ${(err as Error).message}`);
  }
  return db;
}

/**
 * better-sqlite3 compiles SQL on every prepare(); the stores prepare per call for readability, so the
 * compiled statements are kept here, keyed by their text (a few dozen distinct statements in all).
 */
function memoizePrepare(db: Db) {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) { stmt = prepare(sql); cache.set(sql, stmt); }
    return stmt;
  }) as Db["prepare"];
}

/**
 * Thrown by a savepoint in optimistic mode when its work fails: the unit of work must be rolled back and
 * redone with real savepoints, so that only the failing part is lost. Handlers must let it through.
 */
export class RedoCarefully extends Error {
  constructor(cause: unknown) { super("redo with savepoints", { cause }); }
}

/**
 * Thrown by a savepoint whose failure took the whole transaction with it: SQLite rolls back by itself on
 * some errors (SQLITE_FULL, SQLITE_IOERR). What follows would run in autocommit mode, so the unit of work
 * must fail as a whole, not just the message it was on. Callers that catch per-message errors let it through.
 */
export class TransactionLost extends Error {
  constructor(cause: unknown) { super("the transaction was rolled back by SQLite", { cause }); }
}

/** Errors that fail the whole unit of work: code that handles one message's failure and goes on must rethrow them. */
export const failsTheUnit = (err: unknown) => err instanceof RedoCarefully || err instanceof TransactionLost;

/** Run one unit of work inside a transaction that also works around `await` (better-sqlite3's helper is sync-only). */
export class Tx {
  private depth = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private afterCommit: Array<() => void> = [];
  private onRollback: Array<() => void> = [];
  private readonly writeBacks: Array<WriteBack<unknown>> = [];
  /**
   * Savepoints cost two statements and a write-back frame each, for every message of every stage; failures
   * are rare. In optimistic mode they are skipped, and a failure throws RedoCarefully instead.
   */
  optimistic = false;
  constructor(readonly db: Db) {}

  /** A transaction is open (someone's: transactions are serialized, and between its awaits others run). */
  get open() { return this.depth > 0; }

  /** A store's deferred writes follow this transaction's savepoints and are flushed before COMMIT. */
  track<V>(wb: WriteBack<V>) { this.writeBacks.push(wb as WriteBack<unknown>); return wb; }

  /** Serializes all writers of this process: the store is one connection, and interleaved awaits must not share a transaction. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(() => this.transaction(fn));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Holds every transaction after the ones already queued until the returned release is called; resolves
   * once those have finished, so the holder has the store to itself while requests keep queueing in memory.
   */
  hold(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    const idle = this.tail;
    this.tail = idle.then(() => held);
    return idle.then(() => release);
  }

  /** Savepoint inside an open transaction: one message's failure rolls back only its own writes. */
  async savepoint<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.optimistic) {
      try { return await fn(); } catch (err) { throw err instanceof RedoCarefully ? err : new RedoCarefully(err); }
    }
    const name = `sp${this.depth++}`;
    this.db.prepare(`SAVEPOINT ${name}`).run();
    for (const wb of this.writeBacks) wb.begin();
    try {
      const out = await fn();
      this.db.prepare(`RELEASE ${name}`).run();
      for (const wb of this.writeBacks) wb.release();
      return out;
    } catch (err) {
      throw this.abandon(name, err);
    } finally {
      this.depth--;
    }
  }

  /** The same for synchronous work (group-committed accepts). */
  savepointSync<T>(fn: () => T): T {
    if (this.optimistic) {
      try { return fn(); } catch (err) { throw err instanceof RedoCarefully ? err : new RedoCarefully(err); }
    }
    this.db.prepare("SAVEPOINT g").run();
    for (const wb of this.writeBacks) wb.begin();
    try {
      const out = fn();
      this.db.prepare("RELEASE g").run();
      for (const wb of this.writeBacks) wb.release();
      return out;
    } catch (err) {
      throw this.abandon("g", err);
    }
  }

  /** Undo a failed savepoint; returns the error to throw, which says whether the rest of the transaction survived. */
  private abandon(name: string, err: unknown): unknown {
    let undone = false;
    // No savepoint is left to return to when SQLite has already rolled back the whole transaction.
    if (this.db.inTransaction) {
      try {
        this.db.prepare(`ROLLBACK TO ${name}`).run();
        this.db.prepare(`RELEASE ${name}`).run();
        undone = true;
      } catch { /* then the transaction cannot be trusted: fail it as a whole */ }
    }
    for (const wb of this.writeBacks) wb.rollback();
    this.rolledBack();
    return undone || err instanceof TransactionLost ? err : new TransactionLost(err);
  }

  /** Callbacks that must only see committed state (waking waiters, cache fills). */
  whenCommitted(fn: () => void) { this.afterCommit.push(fn); }
  /** Caches that may hold uncommitted state register here to be dropped on rollback. */
  whenRolledBack(fn: () => void) { this.onRollback.push(fn); }
  /** The same caches, told after every commit that what they hold is committed. */
  whenEveryCommit(fn: () => void) { this.onEveryCommit.push(fn); }
  private readonly onEveryCommit: Array<() => void> = [];

  private rolledBack() { for (const fn of this.onRollback) fn(); }

  private async transaction<T>(fn: () => Promise<T> | T): Promise<T> {
    this.db.prepare("BEGIN IMMEDIATE").run();
    for (const wb of this.writeBacks) wb.begin();
    this.depth = 1;
    let out: T;
    try {
      out = await fn();
      for (const wb of this.writeBacks) wb.flush();
      this.db.prepare("COMMIT").run();
    } catch (err) {
      // After SQLITE_FULL or SQLITE_IOERR, SQLite may have rolled back already: a ROLLBACK would then throw,
      // skip the cleanup below (leaving this transaction's write-back frames to the next one) and hide err.
      if (this.db.inTransaction) {
        try { this.db.prepare("ROLLBACK").run(); } catch { /* err is the failure worth reporting */ }
      }
      for (const wb of this.writeBacks) wb.reset();
      this.afterCommit = [];
      this.rolledBack();
      // TransactionLost matters only inside the unit of work; its caller is owed SQLite's own error.
      throw err instanceof TransactionLost ? err.cause : err;
    } finally {
      this.depth = 0;
    }
    for (const fn of this.onEveryCommit) fn();
    const cbs = this.afterCommit;
    this.afterCommit = [];
    for (const cb of cbs) cb();
    return out;
  }
}
