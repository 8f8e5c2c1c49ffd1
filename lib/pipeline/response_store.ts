/**
 * A stored response: its id, the answer, and the whole input that led to it (history
 * included), as the dialect that made it wrote them: the store only keeps them.
 */
export interface StoredResponse {
  id: string;
  response: unknown;
  input: unknown[];
  /** Where this response's own input starts in `input` (before it: its chain's history). */
  ownFrom?: number;
}

/**
 * Where responses made with `store` are kept, per credential: one key can never read or
 * continue another's. One small interface, so a shared store can replace the embedded one.
 */
export interface ResponseStore {
  save(credentialId: string, stored: StoredResponse): Promise<void>;
  get(credentialId: string, id: string): Promise<StoredResponse | undefined>;
  /** True when there was such a response. */
  delete(credentialId: string, id: string): Promise<boolean>;
}

export interface MemoryStoreOptions {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
  now?: () => number;
}

interface Entry {
  stored: StoredResponse;
  bytes: number;
  expiresAt: number;
}

/**
 * The embedded store: in memory, bounded in count and in bytes (the oldest go first), each
 * response kept for a time to live. A restart loses it all.
 */
export class MemoryResponseStore implements ResponseStore {
  readonly #o: MemoryStoreOptions;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(options: MemoryStoreOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  save(credentialId: string, stored: StoredResponse): Promise<void> {
    this.#save(credentialId, stored);
    return Promise.resolve();
  }

  get(credentialId: string, id: string): Promise<StoredResponse | undefined> {
    return Promise.resolve(this.#get(credentialId, id));
  }

  delete(credentialId: string, id: string): Promise<boolean> {
    return Promise.resolve(this.#drop(keyOf(credentialId, id)));
  }

  #save(credentialId: string, stored: StoredResponse): void {
    const key = keyOf(credentialId, stored.id);
    this.#drop(key);
    const bytes = JSON.stringify(stored).length;
    // Too big to keep at all: not kept, rather than emptying the store for it.
    if (bytes > this.#o.maxBytes) return;
    this.#entries.set(key, { stored, bytes, expiresAt: this.#now() + this.#o.ttlMs });
    this.#bytes += bytes;
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#o.maxEntries && this.#bytes <= this.#o.maxBytes) break;
      this.#drop(oldest);
    }
  }

  #get(credentialId: string, id: string): StoredResponse | undefined {
    const key = keyOf(credentialId, id);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#drop(key);
      return undefined;
    }
    return entry.stored;
  }

  /** How many responses are kept, and their size. */
  get usage(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  #drop(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }
}

function keyOf(credentialId: string, id: string): string {
  return `${credentialId}\n${id}`;
}
