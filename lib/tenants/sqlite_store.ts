// The embedded store (Deno's built-in node:sqlite, which the compiled binary carries too): keys
// and usage in one file under DATA_DIR, so one instance keeps them across restarts with no
// server. WAL journaling keeps the file readable and each write whole after a kill -9.
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import type { KeyStore, UsageBook, UsageRow } from "./key_store.ts";
import { MemoryKeyStore, sortRows, sum } from "./key_store.ts";
import type { Tenant } from "./tenant.ts";

/** How often usage gathered in memory is written: a crash loses at most this much of it. */
const FLUSH_MS = 1000;

/**
 * Opens (or creates) `<dir>/gateway.sqlite`, for this process alone: its keys are read once and
 * served from memory, so a second gateway on the same file would serve stale keys (a revoked
 * one, say). It is refused at start instead. `onFlushError` hears of usage that could not be
 * written yet (it is tried again).
 */
export function openSqliteStore(
  dir: string,
  onFlushError: (error: unknown) => void = () => {},
): { keys: KeyStore; usage: UsageBook } {
  Deno.mkdirSync(dir, { recursive: true });
  const db = new DatabaseSync(join(dir, "gateway.sqlite"));
  // The lock is taken by the first write below and held until the process ends.
  db.exec("PRAGMA locking_mode = EXCLUSIVE");
  db.exec("PRAGMA busy_timeout = 100");
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("COMMIT");
  } catch (error) {
    db.close();
    throw /locked|busy/i.test(String(error))
      ? new Error("another gateway is using this store (one instance per DATA_DIR)")
      : error;
  }
  db.exec("PRAGMA synchronous = FULL");
  db.exec(
    "CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL, " +
      "record TEXT NOT NULL)",
  );
  db.exec(
    "CREATE TABLE IF NOT EXISTS usage (day TEXT NOT NULL, key_id TEXT NOT NULL, " +
      "key_name TEXT NOT NULL, model TEXT NOT NULL, requests INTEGER NOT NULL, " +
      "errors INTEGER NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, " +
      "cost REAL NOT NULL DEFAULT 0, PRIMARY KEY (day, key_id, model))",
  );
  // A store made before money was recorded gets its column.
  const columns = db.prepare("PRAGMA table_info(usage)").all().map((row) => String(row.name));
  if (!columns.includes("cost")) {
    db.exec("ALTER TABLE usage ADD COLUMN cost REAL NOT NULL DEFAULT 0");
  }
  let open = 2;
  const closeDb = () => {
    if (--open === 0) db.close();
  };
  return {
    keys: new SqliteKeyStore(db, closeDb),
    usage: new SqliteUsageBook(db, closeDb, onFlushError),
  };
}

/** Keys in SQLite, read through a copy in memory (every lookup of a request is a map read). */
class SqliteKeyStore extends MemoryKeyStore {
  readonly #db: DatabaseSync;
  readonly #close: () => void;

  constructor(db: DatabaseSync, close: () => void) {
    super();
    this.#db = db;
    this.#close = close;
    for (const row of db.prepare("SELECT record FROM keys").all()) {
      this.remember(JSON.parse(String(row.record)) as Tenant);
    }
  }

  override put(tenant: Tenant): Promise<void> {
    this.#db.prepare(
      "INSERT INTO keys (id, hash, record) VALUES (?, ?, ?) " +
        "ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, record = excluded.record",
    ).run(tenant.id, tenant.hash, JSON.stringify(tenant));
    this.remember(tenant);
    return Promise.resolve();
  }

  override close(): void {
    this.#close();
  }
}

/** Usage summed in memory, written to SQLite once a second in one transaction. */
class SqliteUsageBook implements UsageBook {
  readonly #db: DatabaseSync;
  readonly #close: () => void;
  #pending = new Map<string, UsageRow>();
  readonly #timer: number;
  readonly #onError: (error: unknown) => void;

  constructor(db: DatabaseSync, close: () => void, onError: (error: unknown) => void) {
    this.#db = db;
    this.#close = close;
    this.#onError = onError;
    // Typed as Node's Timeout here (node:sqlite brings its types); a number in Deno.
    this.#timer = setInterval(() => this.#tryFlush(), FLUSH_MS) as unknown as number;
    Deno.unrefTimer(this.#timer);
  }

  add(row: UsageRow): void {
    const key = `${row.day}\u0000${row.key_id}\u0000${row.model}`;
    const old = this.#pending.get(key);
    this.#pending.set(key, old === undefined ? { ...row } : sum(old, row));
  }

  query(from: string, to: string, keyId?: string): Promise<UsageRow[]> {
    this.#flush();
    const rows = keyId === undefined
      ? this.#db.prepare("SELECT * FROM usage WHERE day >= ? AND day <= ?").all(from, to)
      : this.#db.prepare("SELECT * FROM usage WHERE day >= ? AND day <= ? AND key_id = ?")
        .all(from, to, keyId);
    return Promise.resolve(sortRows(rows.map((row) => ({
      day: String(row.day),
      key_id: String(row.key_id),
      key_name: String(row.key_name),
      model: String(row.model),
      requests: Number(row.requests),
      errors: Number(row.errors),
      tokens_in: Number(row.tokens_in),
      tokens_out: Number(row.tokens_out),
      cost: Number(row.cost),
    }))));
  }

  close(): Promise<void> {
    clearInterval(this.#timer);
    this.#tryFlush();
    this.#close();
    return Promise.resolve();
  }

  /** A flush that never throws: rows it could not write wait for the next one. */
  #tryFlush(): void {
    try {
      this.#flush();
    } catch (error) {
      this.#onError(error);
    }
  }

  #flush(): void {
    if (this.#pending.size === 0) return;
    const rows = [...this.#pending.values()];
    this.#pending = new Map();
    const upsert = this.#db.prepare(
      "INSERT INTO usage (day, key_id, key_name, model, requests, errors, tokens_in, tokens_out, " +
        "cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(day, key_id, model) DO " +
        "UPDATE SET key_name = excluded.key_name, requests = requests + excluded.requests, " +
        "errors = errors + excluded.errors, tokens_in = tokens_in + excluded.tokens_in, " +
        "tokens_out = tokens_out + excluded.tokens_out, cost = cost + excluded.cost",
    );
    // One transaction: a crash keeps all of a flush or none of it.
    this.#db.exec("BEGIN");
    try {
      for (const r of rows) {
        upsert.run(
          r.day,
          r.key_id,
          r.key_name,
          r.model,
          r.requests,
          r.errors,
          r.tokens_in,
          r.tokens_out,
          r.cost,
        );
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      // Back in the queue, added to what came in meanwhile.
      for (const row of rows) this.add(row);
      throw error;
    }
  }
}
