import type { Tenant } from "./tenant.ts";

/** Where tenants live: in memory, or in the embedded store under DATA_DIR. */
export interface KeyStore {
  all(): Tenant[];
  get(id: string): Tenant | undefined;
  byHash(hash: string): Tenant | undefined;
  put(tenant: Tenant): void;
  /** False when there was no such key. */
  remove(id: string): boolean;
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
}

/** The usage record: added to per request, read by day range and key. */
export interface UsageBook {
  add(row: UsageRow): void;
  /** Rows of days `from` to `to` (YYYY-MM-DD, both included), of one key if given. */
  query(from: string, to: string, keyId?: string): UsageRow[];
  close(): void;
}

/** Tenants in memory (no DATA_DIR): gone with the process. */
export class MemoryKeyStore implements KeyStore {
  readonly #byId = new Map<string, Tenant>();
  readonly #byHash = new Map<string, Tenant>();

  all(): Tenant[] {
    return [...this.#byId.values()];
  }

  get(id: string): Tenant | undefined {
    return this.#byId.get(id);
  }

  byHash(hash: string): Tenant | undefined {
    return this.#byHash.get(hash);
  }

  put(tenant: Tenant): void {
    const old = this.#byId.get(tenant.id);
    if (old !== undefined) this.#byHash.delete(old.hash);
    this.#byId.set(tenant.id, tenant);
    this.#byHash.set(tenant.hash, tenant);
  }

  remove(id: string): boolean {
    const old = this.#byId.get(id);
    if (old === undefined) return false;
    this.#byId.delete(id);
    this.#byHash.delete(old.hash);
    return true;
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

  query(from: string, to: string, keyId?: string): UsageRow[] {
    return sortRows(
      [...this.#rows.values()].filter((row) =>
        row.day >= from && row.day <= to && (keyId === undefined || row.key_id === keyId)
      ),
    );
  }

  close(): void {}
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
  };
}

/** By day, then key name, then model. */
export function sortRows(rows: UsageRow[]): UsageRow[] {
  return rows.sort((a, b) =>
    a.day.localeCompare(b.day) || a.key_name.localeCompare(b.key_name) ||
    a.model.localeCompare(b.model)
  );
}
