import { GatewayError } from "../errors.ts";
import type { Logger } from "../log.ts";

/** The few commands the gateway's shared state needs, whatever client speaks them. */
export interface KeyValue {
  get(key: string): Promise<string | undefined>;
  /** Sets `key` to `value` for `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** True when there was such a key. */
  delete(key: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Longest a shared-state command may take before the request goes on without it. */
export const COMMAND_TIMEOUT_MS = 2000;

/** Key prefix, so the gateway can share a Redis with other programs. */
export const PREFIX = "gigachat-gateway:";

/**
 * Redis (or Valkey) at `url` as a {@linkcode KeyValue}. Commands fail at once while the
 * server is unreachable (no offline queue that would hold requests), and after
 * COMMAND_TIMEOUT_MS if it stops answering; reconnecting goes on in the background, so the
 * gateway recovers by itself. Every failure is a 503 that says the shared store is down.
 */
export async function connectRedis(url: string, log: Logger): Promise<KeyValue> {
  // Loaded only when REDIS_URL is set: one instance needs neither the client nor its memory.
  const { createClient } = await import("@redis/client");
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: COMMAND_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 3000),
    },
  });
  let down = false;
  client.on("error", (error: Error) => {
    // Logged once per outage, not once per reconnect attempt.
    if (!down) log.error("shared store unreachable", { error: error.message });
    down = true;
  });
  client.on("ready", () => {
    if (down) log.info("shared store reachable again");
    down = false;
  });
  // Started, not awaited to the end: a gateway that starts while Redis is down still serves
  // what needs no shared state, and connects once Redis is back.
  const connected = client.connect().then(() => true, () => false);
  if (!await Promise.race([connected, delay(COMMAND_TIMEOUT_MS, false)])) {
    log.warn("starting without the shared store; requests that need it get 503 until it is back");
  }
  const run = async <T>(command: () => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(command());
    } catch (error) {
      throw unavailable(error);
    }
  };
  return {
    get: (key) => run(async () => (await client.get(PREFIX + key)) ?? undefined),
    set: (key, value, ttlMs) =>
      run(async () => {
        await client.set(PREFIX + key, value, {
          expiration: { type: "PX", value: Math.max(1, Math.round(ttlMs)) },
        });
      }),
    delete: (key) => run(async () => (await client.del(PREFIX + key)) > 0),
    close: async () => {
      client.destroy();
      await Promise.resolve();
    },
  };
}

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
      () => reject(new Error(`no answer within ${COMMAND_TIMEOUT_MS} ms`)),
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
