import { GatewayError } from "../errors.ts";
import type { Logger } from "../log.ts";

/** The few commands the gateway's shared state needs, whatever client speaks them. */
export interface KeyValue {
  get(key: string): Promise<string | undefined>;
  /** Sets `key` to `value` for `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** True when there was such a key. */
  delete(key: string): Promise<boolean>;
  /** Gives `key` a new time to live, if it is there. */
  touch(key: string, ttlMs: number): Promise<void>;
  /** Any other command, its key arguments written out whole (PREFIX included). */
  command(args: string[]): Promise<unknown>;
  /**
   * Hears every message published on `channel` (PREFIX added), on a connection of its own that
   * resubscribes after a reconnect. Absent where nothing can be published.
   */
  subscribe?(channel: string, listener: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** Longest a shared-state command may take before the request goes on without it. */
export const COMMAND_TIMEOUT_MS = 2000;

/** Key prefix, so the gateway can share a Redis with other programs. */
export const PREFIX = "gigachat-gateway:";

/** After a command timed out, how long commands fail at once instead of waiting again. */
export const SUSPEND_MS = 5000;

/**
 * Redis (or Valkey) at `url` as a {@linkcode KeyValue}. Commands fail at once while the
 * server is unreachable (no offline queue that would hold requests), and after
 * COMMAND_TIMEOUT_MS if it stops answering; then for SUSPEND_MS every command fails at once,
 * so a stalled Redis costs a request at most one wait, and the connection is replaced (a
 * server that accepted it but never answers would otherwise hold it for good). Reconnecting
 * goes on in the background, so the gateway recovers by itself. Every failure is a 503 that
 * says the shared store is down.
 */
export async function connectRedis(url: string, log: Logger): Promise<KeyValue> {
  // Loaded only when REDIS_URL is set: one instance needs neither the client nor its memory.
  const { createClient } = await import("@redis/client");
  let down = false;
  let suspendedUntil = 0;
  let closed = false;
  /** Which connection is the current one: a replaced one's events change nothing. */
  let generation = 0;
  const open = () => {
    const mine = ++generation;
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: COMMAND_TIMEOUT_MS,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 3000),
      },
    });
    client.on("error", (error: Error) => {
      // Logged once per outage, not once per reconnect attempt.
      if (!down) log.error("shared store unreachable", { error: error.message });
      down = true;
    });
    client.on("ready", () => {
      if (down) log.info("shared store reachable again");
      down = false;
      // Answering again (the handshake waits for replies): no reason to keep failing fast.
      if (mine === generation) suspendedUntil = 0;
    });
    // Started, not awaited: a gateway that starts while Redis is down still serves what
    // needs no shared state, and connects once Redis is back.
    const connected = client.connect().then(() => true, () => false);
    return { client, connected, openedAt: Date.now() };
  };
  let current = open();
  type Client = ReturnType<typeof open>["client"];
  /** Connections that only listen (pub/sub), closed with the store. */
  const listeners: Client[] = [];
  /** A new connection, unless the current one is younger than SUSPEND_MS. */
  const renew = () => {
    if (closed || Date.now() - current.openedAt < SUSPEND_MS) return;
    current.client.destroy();
    current = open();
  };
  if (!await Promise.race([current.connected, delay(COMMAND_TIMEOUT_MS, false)])) {
    log.warn("starting without the shared store; requests that need it get 503 until it is back");
  }
  const run = async <T>(command: (client: Client) => Promise<T>): Promise<T> => {
    if (closed) throw unavailable(new Error("closed"));
    if (Date.now() < suspendedUntil) throw unavailable(new Error("suspended after a timeout"));
    // Not ready long after it was opened: stuck in its handshake, or its server is gone.
    if (!current.client.isReady) renew();
    try {
      return await withTimeout(command(current.client));
    } catch (error) {
      if (error instanceof TimeoutError) {
        if (!down) log.error("shared store not answering", { error: error.message });
        down = true;
        suspendedUntil = Date.now() + SUSPEND_MS;
        renew();
      }
      throw unavailable(error);
    }
  };
  return {
    get: (key) =>
      run(async (client) => {
        const value: unknown = await client.get(PREFIX + key);
        // Anything but a string is not the gateway's writing: as good as absent.
        return typeof value === "string" ? value : undefined;
      }),
    set: (key, value, ttlMs) =>
      run(async (client) => {
        await client.set(PREFIX + key, value, {
          expiration: { type: "PX", value: Math.max(1, Math.round(ttlMs)) },
        });
      }),
    delete: (key) => run(async (client) => Number(await client.del(PREFIX + key)) > 0),
    touch: (key, ttlMs) =>
      run(async (client) => {
        await client.pExpire(PREFIX + key, Math.max(1, Math.round(ttlMs)));
      }),
    command: (args) => run((client) => client.sendCommand(args)),
    subscribe: async (channel, listener) => {
      // Its own connection: one that subscribes can send nothing else. Its errors are the
      // main connection's to report.
      const subscriber = current.client.duplicate();
      subscriber.on("error", () => {});
      listeners.push(subscriber);
      await subscriber.connect();
      await subscriber.subscribe(PREFIX + channel, (message: string) => listener(message));
    },
    close: async () => {
      closed = true;
      current.client.destroy();
      for (const subscriber of listeners) subscriber.destroy();
      await Promise.resolve();
    },
  };
}

class TimeoutError extends Error {}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(value), ms);
    Deno.unrefTimer(timer);
  });
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`no answer within ${COMMAND_TIMEOUT_MS} ms`)),
      COMMAND_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** 503 for a request that needs the shared store while it is down. */
export function unavailable(cause?: unknown): GatewayError {
  return new GatewayError(
    503,
    "The gateway's shared store (REDIS_URL) is unreachable, and this request needs it " +
      "(stored responses). Other requests are served; try again shortly.",
    { type: "server_error", code: "shared_store_unavailable", cause, retryable: true },
  );
}
