/**
 * A stored response: its id, the answer, its own input, and the id of the response it
 * continued. A conversation is the chain of these links, so it takes room in proportion to its
 * length (each turn stores only itself), as the dialect that made it wrote them: the store only
 * keeps them. Entries stored before links (with `ownFrom`) hold their whole history instead.
 */
export interface StoredResponse {
  id: string;
  response: unknown;
  input: unknown[];
  /** The response this one continued (`previous_response_id`). */
  previous?: string;
  /** Older entries: where this response's own input starts in `input` (before it: history). */
  ownFrom?: number;
}

/**
 * Where responses made with `store` are kept, per credential: one key can never read or
 * continue another's. One small interface, so a shared store can replace the embedded one.
 */
export interface ResponseStore {
  /** Keeps `stored`; false when it cannot be kept (too large, or the store keeps nothing). */
  save(credentialId: string, stored: StoredResponse): Promise<boolean>;
  get(credentialId: string, id: string): Promise<StoredResponse | undefined>;
  /** True when there was such a response. */
  delete(credentialId: string, id: string): Promise<boolean>;
  /**
   * A conversation was read: its responses (oldest first) live on for another time to live,
   * and the newest are the most recently used, so an active conversation keeps every turn.
   */
  touch(credentialId: string, ids: readonly string[]): Promise<void>;
}

/** Most links followed to rebuild one conversation. */
export const MAX_CHAIN_LINKS = 1000;

/** A conversation read back: its responses oldest first, or the link that is gone. */
export type Chain =
  | { kind: "found"; entries: StoredResponse[] }
  | { kind: "missing"; id: string; continuedBy?: string }
  | { kind: "too_long" };

/** The chain that ends at `id`, read link by link (at most {@linkcode MAX_CHAIN_LINKS}). */
export async function readChain(
  store: ResponseStore,
  credentialId: string,
  id: string,
): Promise<Chain> {
  const entries: StoredResponse[] = [];
  let next: string | undefined = id;
  while (next !== undefined) {
    if (entries.length >= MAX_CHAIN_LINKS) return { kind: "too_long" };
    const entry = await store.get(credentialId, next);
    if (entry === undefined) return { kind: "missing", id: next, continuedBy: entries.at(-1)?.id };
    entries.push(entry);
    next = entry.ownFrom === undefined ? entry.previous : undefined;
  }
  entries.reverse();
  await store.touch(credentialId, entries.map((entry) => entry.id));
  return { kind: "found", entries };
}

/** The UTF-8 size of `text` in bytes, counted without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      bytes += 1;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair: 4 bytes for its 2 units.
      bytes += 2;
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
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

/** One credential's entries, oldest use first, and their size. */
interface Shelf {
  entries: Map<string, Entry>;
  bytes: number;
}

/**
 * The embedded store: in memory, bounded in count and in bytes, each response kept for a time
 * to live. When full, the credential that holds the most gives up its least recently used
 * response, so one long session cannot evict another key's; reading a response (a chain being
 * continued) makes it recent again. A restart loses it all.
 */
export class MemoryResponseStore implements ResponseStore {
  readonly #o: MemoryStoreOptions;
  readonly #now: () => number;
  readonly #shelves = new Map<string, Shelf>();
  #entries = 0;
  #bytes = 0;

  constructor(options: MemoryStoreOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  save(credentialId: string, stored: StoredResponse): Promise<boolean> {
    return Promise.resolve(this.#save(credentialId, stored));
  }

  get(credentialId: string, id: string): Promise<StoredResponse | undefined> {
    return Promise.resolve(this.#get(credentialId, id));
  }

  delete(credentialId: string, id: string): Promise<boolean> {
    return Promise.resolve(this.#drop(credentialId, id));
  }

  touch(credentialId: string, ids: readonly string[]): Promise<void> {
    const shelf = this.#shelves.get(credentialId);
    const expiresAt = this.#now() + this.#o.ttlMs;
    for (const id of ids) {
      const entry = shelf?.entries.get(id);
      if (shelf === undefined || entry === undefined) continue;
      entry.expiresAt = expiresAt;
      shelf.entries.delete(id);
      shelf.entries.set(id, entry);
    }
    return Promise.resolve();
  }

  /** How many responses are kept, and their size in bytes. */
  get usage(): { entries: number; bytes: number } {
    return { entries: this.#entries, bytes: this.#bytes };
  }

  #save(credentialId: string, stored: StoredResponse): boolean {
    this.#drop(credentialId, stored.id);
    if (this.#o.maxEntries === 0 || this.#o.ttlMs === 0) return false;
    const bytes = utf8Length(JSON.stringify(stored));
    // Too big to keep at all: not kept, rather than emptying the store for it.
    if (bytes > this.#o.maxBytes) return false;
    const shelf = this.#shelf(credentialId);
    shelf.entries.set(stored.id, { stored, bytes, expiresAt: this.#now() + this.#o.ttlMs });
    shelf.bytes += bytes;
    this.#entries++;
    this.#bytes += bytes;
    while (this.#entries > this.#o.maxEntries || this.#bytes > this.#o.maxBytes) {
      this.#evictFromFullest(this.#entries > this.#o.maxEntries);
    }
    // Kept, and still continuable: the turn it continues was not evicted to make room for it.
    const kept = this.#shelves.get(credentialId)?.entries;
    return kept?.has(stored.id) === true &&
      (stored.previous === undefined || kept.has(stored.previous));
  }

  #get(credentialId: string, id: string): StoredResponse | undefined {
    const shelf = this.#shelves.get(credentialId);
    const entry = shelf?.entries.get(id);
    if (shelf === undefined || entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#drop(credentialId, id);
      return undefined;
    }
    shelf.entries.delete(id);
    shelf.entries.set(id, entry);
    return entry.stored;
  }

  /** The least recently used response of the credential holding the most (count or bytes). */
  #evictFromFullest(byCount: boolean): void {
    const sizeOf = (shelf: Shelf) => byCount ? shelf.entries.size : shelf.bytes;
    let fullest: [string, Shelf] | undefined;
    for (const pair of this.#shelves) {
      if (fullest === undefined || sizeOf(pair[1]) > sizeOf(fullest[1])) fullest = pair;
    }
    if (fullest === undefined) return;
    const oldest = fullest[1].entries.keys().next().value as string;
    this.#drop(fullest[0], oldest);
  }

  #shelf(credentialId: string): Shelf {
    let shelf = this.#shelves.get(credentialId);
    if (shelf === undefined) {
      shelf = { entries: new Map(), bytes: 0 };
      this.#shelves.set(credentialId, shelf);
    }
    return shelf;
  }

  #drop(credentialId: string, id: string): boolean {
    const shelf = this.#shelves.get(credentialId);
    const entry = shelf?.entries.get(id);
    if (shelf === undefined || entry === undefined) return false;
    shelf.entries.delete(id);
    shelf.bytes -= entry.bytes;
    this.#entries--;
    this.#bytes -= entry.bytes;
    if (shelf.entries.size === 0) this.#shelves.delete(credentialId);
    return true;
  }
}
