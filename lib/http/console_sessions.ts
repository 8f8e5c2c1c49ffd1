// Which console sessions are still signed in. A cookie proves the admin token was given (see
// console_session.ts); this book says it has not been signed out since. In memory for one
// instance (a restart signs everyone out: the safe side), in Redis with REDIS_URL so that every
// instance knows, and signing out on one ends the session on all.
import type { Session } from "./console_session.ts";
import { GatewayError } from "../errors.ts";
import { pairs } from "../redis_reply.ts";

/** The console's signed-in sessions. */
export interface SessionBook {
  add(session: Session): Promise<void>;
  /** Whether `session` is signed in (and not expired). */
  has(session: Session, now: number): Promise<boolean>;
  /** Signs one out. */
  end(id: string): Promise<void>;
  /** Signs every one out; how many there were. */
  endAll(now: number): Promise<number>;
  /** How many are signed in. */
  count(now: number): Promise<number>;
}

/** Sessions kept at once in memory; past it the oldest is signed out. */
const MEMORY_CAP = 1000;

/** One instance's sessions, in memory. */
export class MemorySessionBook implements SessionBook {
  readonly #expires = new Map<string, number>();

  add(session: Session): Promise<void> {
    this.#expires.set(session.id, session.expires);
    if (this.#expires.size > MEMORY_CAP) {
      this.#expires.delete(this.#expires.keys().next().value!);
    }
    return Promise.resolve();
  }

  has(session: Session, now: number): Promise<boolean> {
    const expires = this.#expires.get(session.id);
    if (expires !== undefined && expires <= now) this.#expires.delete(session.id);
    return Promise.resolve(expires !== undefined && expires > now);
  }

  end(id: string): Promise<void> {
    this.#expires.delete(id);
    return Promise.resolve();
  }

  endAll(now: number): Promise<number> {
    const open = this.#open(now);
    this.#expires.clear();
    return Promise.resolve(open);
  }

  count(now: number): Promise<number> {
    return Promise.resolve(this.#open(now));
  }

  #open(now: number): number {
    let open = 0;
    for (const expires of this.#expires.values()) if (expires > now) open++;
    return open;
  }
}

/** The Redis commands it needs (the shared store's, key prefix written out). */
export interface RedisCommands {
  command(args: string[]): Promise<unknown>;
}

/** Every instance's sessions, in one Redis hash of id → expiry. */
export class RedisSessionBook implements SessionBook {
  readonly #redis: RedisCommands;
  readonly #key: string;

  constructor(redis: RedisCommands, prefix: string) {
    this.#redis = redis;
    this.#key = `${prefix}console:sessions`;
  }

  async add(session: Session): Promise<void> {
    await this.#run(async () => {
      await this.#redis.command(["HSET", this.#key, session.id, String(session.expires)]);
      // The newest session's end is the hash's; expired fields go as others sign in.
      await this.#redis.command(["PEXPIREAT", this.#key, String(session.expires)]);
      const expired = (await this.#all()).filter(([, expires]) => expires <= Date.now());
      if (expired.length > 0) {
        await this.#redis.command(["HDEL", this.#key, ...expired.map(([id]) => id)]);
      }
    });
  }

  has(session: Session, now: number): Promise<boolean> {
    return this.#run(async () => {
      const expires = Number(await this.#redis.command(["HGET", this.#key, session.id]));
      return expires > now;
    });
  }

  end(id: string): Promise<void> {
    return this.#run(async () => {
      await this.#redis.command(["HDEL", this.#key, id]);
    });
  }

  endAll(now: number): Promise<number> {
    return this.#run(async () => {
      const open = (await this.#all()).filter(([, expires]) => expires > now).length;
      await this.#redis.command(["DEL", this.#key]);
      return open;
    });
  }

  count(now: number): Promise<number> {
    return this.#run(async () => (await this.#all()).filter(([, expires]) => expires > now).length);
  }

  async #all(): Promise<[string, number][]> {
    return pairs(await this.#redis.command(["HGETALL", this.#key]))
      .map(([id, expires]) => [id, Number(expires)]);
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new GatewayError(
        503,
        "The console's sessions are kept in the shared store (REDIS_URL), which is unreachable. " +
          "The admin API still takes ADMIN_TOKEN as 'Authorization: Bearer'.",
        { type: "server_error", code: "shared_store_unavailable", cause: error, retryable: true },
      );
    }
  }
}
