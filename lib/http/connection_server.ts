// The gateway's own accept loop around Deno's HTTP server. `Deno.serve` offers no cap on open
// connections, no deadline for a request head and no idle limit for kept-alive connections, and
// when `accept` fails (EMFILE under a connection flood) it stops listening for good. Here the
// gateway accepts each TCP connection itself, so it can count and refuse them, close the idle
// and the half-sent, and ride out a failing `accept`; each accepted connection is then served by
// Deno's own HTTP/1.1 machinery (hyper), the same code `Deno.serve` runs per connection.
import { describeError, type Logger } from "../log.ts";
import {
  acceptErrorPasses,
  closeQuietly,
  outOfDescriptors,
  refusalResponse,
  refuseConnection,
} from "./connection_refusal.ts";

/** Bounds on what connections may cost; see README "Running it for a team". */
export interface ConnectionLimits {
  /**
   * Open connections at most, and requests running at once (HTTP/2 carries many on one): past
   * it the oldest idle connection makes room, or the newcomer gets a 503.
   */
  maxConnections: number;
  /** A new connection must have sent a whole request head within this. */
  headTimeoutMs: number;
  /** A kept-alive connection with no request running is closed after this. */
  idleTimeoutMs: number;
}

export interface ConnectionServerOptions {
  hostname: string;
  port: number;
  limits: ConnectionLimits;
  log: Logger;
  onListen?: (addr: Deno.NetAddr) => void;
  /** Opens the listening socket; `Deno.listen` but for tests. */
  listen?: (options: { hostname: string; port: number }) => Deno.Listener;
}

/** What main.ts needs of a server: its address, its end, and the two ways to stop it. */
export interface ConnectionServer {
  readonly addr: Deno.NetAddr;
  /** Resolves after `shutdown`; rejects when the port is lost and cannot be taken again. */
  readonly finished: Promise<void>;
  /** Stops accepting, lets every running request and stream finish, then resolves. */
  shutdown(): Promise<void>;
  /** Closes every connection at once (after the shutdown timeout). */
  closeConnections(): void;
}

/** What a handler learns of a request's connection. */
export interface ConnectionInfo extends Deno.ServeHandlerInfo<Deno.Addr> {
  /**
   * Closes the connection at once (a client that stopped reading) and says true, unless other
   * requests share it (HTTP/2); absent on `Deno.serve`.
   */
  cutConnection?: () => boolean;
}

export type ServeHandler = (request: Request, info: ConnectionInfo) =>
  | Response
  | Promise<Response>;

/** Deno's per-connection server, as `Deno.serve` uses it internally (ext/http/00_serve.ts). */
export type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
    | Response
    | Promise<Response>,
  onError: (error: unknown) => Response,
  onListen: () => void,
) => { finished: Promise<void>; shutdown(): Promise<void> };

/**
 * Deno's per-connection server, or undefined where this Deno has none (then main.ts falls back
 * to `Deno.serve` without connection limits, and says so).
 */
export function denoServeOnConnection(): ServeOnConnection | undefined {
  const deno = Deno as unknown as Record<symbol, Record<string, unknown> | undefined> & {
    internal?: symbol;
  };
  const internals = deno.internal === undefined ? undefined : deno[deno.internal];
  const serve = internals?.serveHttpOnConnection;
  return typeof serve === "function" ? serve as ServeOnConnection : undefined;
}

/** One open connection's state, read by the sweeper. */
interface Connection {
  readonly close: AbortController;
  served?: { finished: Promise<void>; shutdown(): Promise<void> };
  /** Requests running (or responses still being handed over). */
  busy: number;
  /** Requests seen so far; 0 means the first head is still awaited. */
  requests: number;
  /** When the connection last became idle (`performance.now()`). */
  idleSince: number;
  /** When it was asked to close gracefully; it is cut if it has not by its deadline again. */
  closingSince?: number;
}

const REFUSALS_AT_ONCE = 64;
const RELISTEN_TRIES = 8;
/** Idle connections closed at once to free descriptors when accept runs out of them. */
const EVICTED_WHEN_OUT_OF_FILES = 8;

/** Serves `handler` on a listener the gateway accepts from itself, within `limits`. */
export function serveConnections(
  options: ConnectionServerOptions,
  handler: ServeHandler,
  serveOn: ServeOnConnection,
): ConnectionServer {
  return new GuardedServer(options, handler, serveOn);
}

class GuardedServer implements ConnectionServer {
  readonly addr: Deno.NetAddr;
  readonly finished: Promise<void>;
  readonly #o: ConnectionServerOptions;
  readonly #handler: ServeHandler;
  readonly #serveOn: ServeOnConnection;
  readonly #listen: (options: { hostname: string; port: number }) => Deno.Listener;
  readonly #connections = new Set<Connection>();
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #accepting: Promise<void>;
  #listener: Deno.Listener;
  #stopping = false;
  #drained: Promise<void> | undefined;
  #refusing = 0;
  /** Connections asked to close that have not yet. */
  #closing = 0;
  /** Requests running on all connections. */
  #inFlight = 0;

  constructor(options: ConnectionServerOptions, handler: ServeHandler, serveOn: ServeOnConnection) {
    this.#o = options;
    this.#handler = handler;
    this.#serveOn = serveOn;
    this.#listen = options.listen ?? ((address) => Deno.listen(address));
    this.#listener = this.#listen({ hostname: options.hostname, port: options.port });
    this.addr = this.#listener.addr as Deno.NetAddr;
    const { headTimeoutMs, idleTimeoutMs } = options.limits;
    this.#sweeper = setInterval(
      () => this.#sweep(),
      Math.max(10, Math.min(1000, headTimeoutMs / 4, idleTimeoutMs / 4)),
    );
    Deno.unrefTimer(this.#sweeper);
    this.#accepting = this.#acceptLoop();
    this.finished = this.#accepting.then(() => this.shutdown(), (error) => {
      clearInterval(this.#sweeper);
      throw error;
    });
    options.onListen?.(this.addr);
  }

  /**
   * Stops accepting and closes every connection gracefully: idle ones at once, a response still
   * being sent (a fixed body's `completed` settles when it is handed over, not sent) once it is
   * out. The sweeper goes on cutting what does not close.
   */
  shutdown(): Promise<void> {
    this.#drained ??= (async () => {
      this.#stopping = true;
      closeQuietly(this.#listener);
      await this.#accepting.catch(() => {});
      await Promise.all([...this.#connections].map((connection) => {
        this.#closeGracefully(connection);
        return connection.served?.finished.catch(() => {});
      }));
    })().finally(() => clearInterval(this.#sweeper));
    return this.#drained;
  }

  closeConnections(): void {
    for (const connection of this.#connections) connection.close.abort();
  }

  async #acceptLoop(): Promise<void> {
    let backoffMs = 10;
    let relistens = 0;
    while (!this.#stopping) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#stopping) return;
        if (acceptErrorPasses(error)) {
          this.#acceptFailed(error, backoffMs === 10);
          await sleep(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 1000);
          continue;
        }
        // The listening socket is broken: take the port again, a few times, then give up so
        // the process exits non-zero and its supervisor starts a new one.
        if (++relistens > RELISTEN_TRIES) throw error;
        await this.#relisten(error, relistens, backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
        continue;
      }
      if (backoffMs !== 10) this.#o.log.info("accepting connections again");
      backoffMs = 10;
      relistens = 0;
      this.#admit(conn);
    }
  }

  /** A passing accept error: logged once a streak; out of descriptors, idle ones give theirs. */
  #acceptFailed(error: unknown, first: boolean): void {
    if (first) {
      this.#o.log.warn("cannot accept connections; retrying", {
        error: describeError(error),
        open_connections: this.#connections.size,
      });
    }
    if (outOfDescriptors(error)) this.#evictIdle(EVICTED_WHEN_OUT_OF_FILES);
  }

  async #relisten(error: unknown, attempt: number, waitMs: number): Promise<void> {
    this.#o.log.error("listener failed; listening again", {
      error: describeError(error),
      attempt,
    });
    closeQuietly(this.#listener);
    await sleep(waitMs);
    if (this.#stopping) return;
    try {
      this.#listener = this.#listen({ hostname: this.addr.hostname, port: this.addr.port });
    } catch (relistenError) {
      this.#o.log.error("cannot listen again", { error: describeError(relistenError) });
    }
  }

  /** Serves `conn`, making room by closing the oldest idle connection when at the cap. */
  #admit(conn: Deno.Conn): void {
    const max = this.#o.limits.maxConnections;
    const open = this.#connections.size - this.#closing;
    const room = open < max ||
      (this.#connections.size < max + REFUSALS_AT_ONCE && this.#evictIdle(1) > 0);
    if (room) return this.#serve(conn);
    if (this.#refusing >= REFUSALS_AT_ONCE) return closeQuietly(conn);
    this.#refusing++;
    refuseConnection(conn, max).finally(() => this.#refusing--);
  }

  #serve(conn: Deno.Conn): void {
    const connection: Connection = {
      close: new AbortController(),
      busy: 0,
      requests: 0,
      idleSince: performance.now(),
    };
    const done = () => {
      connection.busy--;
      this.#inFlight--;
      connection.idleSince = performance.now();
    };
    // HTTP/2 carries several requests on one connection: cutting it would end them all.
    const cutConnection = () => connection.busy <= 1 && (connection.close.abort(), true);
    try {
      connection.served = this.#serveOn(conn, connection.close.signal, (request, info) => {
        if (this.#inFlight >= this.#o.limits.maxConnections) {
          return refusalResponse(this.#o.limits.maxConnections);
        }
        connection.busy++;
        connection.requests++;
        this.#inFlight++;
        info.completed.then(done, done);
        const { remoteAddr, completed } = info;
        return this.#handler(request, { remoteAddr, completed, cutConnection });
      }, (error) => {
        this.#o.log.error("unhandled error", { error: describeError(error) });
        return new Response(null, { status: 500 });
      }, () => {});
    } catch (error) {
      this.#o.log.error("cannot serve a connection", { error: describeError(error) });
      return closeQuietly(conn);
    }
    this.#connections.add(connection);
    connection.served.finished.catch(() => {}).finally(() => {
      this.#connections.delete(connection);
      if (connection.closingSince !== undefined) this.#closing--;
    });
  }

  /** Asks up to `count` of the longest idle connections to close; how many it asked. */
  #evictIdle(count: number): number {
    const idle = [...this.#connections].filter((connection) =>
      connection.busy === 0 && connection.closingSince === undefined
    ).sort((a, b) => a.idleSince - b.idleSince).slice(0, count);
    for (const connection of idle) this.#closeGracefully(connection);
    return idle.length;
  }

  #closeGracefully(connection: Connection): void {
    if (connection.closingSince !== undefined) return;
    connection.closingSince = performance.now();
    this.#closing++;
    connection.served?.shutdown().catch(() => {});
  }

  /**
   * Closes connections whose first head is late or that sat idle too long, gracefully (a big
   * fixed answer still going out to a slow client finishes first); an idle one that has not
   * closed a deadline after that is cut. A busy one is left to its request's own deadlines.
   */
  #sweep(): void {
    const { headTimeoutMs, idleTimeoutMs } = this.#o.limits;
    const now = performance.now();
    for (const connection of this.#connections) {
      const limit = connection.requests === 0 ? headTimeoutMs : idleTimeoutMs;
      if (connection.closingSince !== undefined) {
        if (connection.busy === 0 && now - connection.closingSince >= limit) {
          connection.close.abort();
        }
      } else if (connection.busy === 0 && now - connection.idleSince >= limit) {
        this.#closeGracefully(connection);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
