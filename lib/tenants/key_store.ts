import type { Tenant } from "./tenant.ts";

/** Where tenants live: in memory, in the embedded store under DATA_DIR, or in Redis. */
export interface KeyStore {
  all(): Promise<Tenant[]>;
  get(id: string): Promise<Tenant | undefined>;
  byHash(hash: string): Promise<Tenant | undefined>;
  put(tenant: Tenant): Promise<void>;
  close(): void;
}

/** One day's use of one model by one tenant. */
export interface UsageRow {
  day: string;
  key_id: string;
  key_name: string;
  model: string;
  requests: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
  /** Money, from MODEL_PRICES (0 without prices). */
  cost: number;
}

/** The usage record: added to per request, read by day range and key. */
export interface UsageBook {
  add(row: UsageRow): void;
  /** Rows of days `from` to `to` (YYYY-MM-DD, both included), of one key if given. */
  query(from: string, to: string, keyId?: string): Promise<UsageRow[]>;
  /** Writes what is still held, then lets go of the store. */
  close(): Promise<void>;
}

/** Tenants in a map: the memory store, and the embedded store's copy of its file. */
export class MemoryKeyStore implements KeyStore {
  readonly #byId = new Map<string, Tenant>();
  readonly #byHash = new Map<string, Tenant>();

  all(): Promise<Tenant[]> {
    return Promise.resolve([...this.#byId.values()]);
  }

  get(id: string): Promise<Tenant | undefined> {
    return Promise.resolve(this.#byId.get(id));
  }

  byHash(hash: string): Promise<Tenant | undefined> {
    return Promise.resolve(this.#byHash.get(hash));
  }

  put(tenant: Tenant): Promise<void> {
    this.remember(tenant);
    return Promise.resolve();
  }

  /** Keeps `tenant` in the maps (the embedded store calls it once it has written). */
  remember(tenant: Tenant): void {
    const old = this.#byId.get(tenant.id);
    if (old !== undefined) this.#byHash.delete(old.hash);
    this.#byId.set(tenant.id, tenant);
    this.#byHash.set(tenant.hash, tenant);
  }

  close(): void {}
}

/** Usage in memory, summed per day, key and model. */
export class MemoryUsageBook implements UsageBook {
  readonly #rows = new Map<string, UsageRow>();

  add(row: UsageRow): void {
    const key = `${row.day}\u0000${row.key_id}\u0000${row.model}`;
    const old = this.#rows.get(key);
    this.#rows.set(key, old === undefined ? { ...row } : sum(old, row));
  }

  query(from: string, to: string, keyId?: string): Promise<UsageRow[]> {
    return Promise.resolve(sortRows(
      [...this.#rows.values()].filter((row) =>
        row.day >= from && row.day <= to && (keyId === undefined || row.key_id === keyId)
      ),
    ));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Two rows of one day, key and model, added. */
export function sum(a: UsageRow, b: UsageRow): UsageRow {
  return {
    ...a,
    key_name: b.key_name,
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    tokens_in: a.tokens_in + b.tokens_in,
    tokens_out: a.tokens_out + b.tokens_out,
    cost: a.cost + b.cost,
  };
}

/** By day, then key name, then model. */
export function sortRows(rows: UsageRow[]): UsageRow[] {
  return rows.sort((a, b) =>
    a.day.localeCompare(b.day) || a.key_name.localeCompare(b.key_name) ||
    a.model.localeCompare(b.model)
  );
}
