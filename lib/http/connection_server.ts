// The gateway's own accept loop around Deno's HTTP server. `Deno.serve` offers no cap on open
// connections, no deadline for a request head and no idle limit for kept-alive connections, and
// when `accept` fails (EMFILE under a connection flood) it stops listening for good. Here the
// gateway accepts each TCP connection itself, so it can count and refuse them, close the idle
// and the half-sent, and ride out a failing `accept`; each accepted connection is then served by
// Deno's own HTTP/1.1 machinery (hyper), the same code `Deno.serve` runs per connection.
import { describeError, type Logger } from "../log.ts";

/** Bounds on what connections may cost; see README "Connections". */
export interface ConnectionLimits {
  /** Open connections at most; one more is answered 503 and closed. */
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
  /** Connections open now. */
  readonly openConnections: number;
}

/** What a handler learns of a request's connection. */
export interface ConnectionInfo extends Deno.ServeHandlerInfo<Deno.Addr> {
  /** Closes the connection at once (a client that stopped reading); absent on `Deno.serve`. */
  cutConnection?: () => void;
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
  /** Requests running (or responses still being sent). */
  busy: number;
  /** Requests seen so far; 0 means the first head is still awaited. */
  requests: number;
  /** When the connection last became idle (`performance.now()`). */
  idleSince: number;
}

// Accept errors that pass: out of descriptors or memory, a connection reset before it was
// taken. Any other error means the listening socket itself is broken.
const PASSING_ACCEPT_ERRORS = new Set([4, 11, 12, 23, 24, 71, 103, 104, 105, 110, 10024, 10053]);
const REFUSALS_AT_ONCE = 64;
const RELISTEN_TRIES = 8;

/** Serves `handler` on a listener the gateway accepts from itself, within `limits`. */
export function serveConnections(
  options: ConnectionServerOptions,
  handler: ServeHandler,
  serveOn: ServeOnConnection,
): ConnectionServer {
  const { limits, log } = options;
  const listen = options.listen ?? ((address) => Deno.listen(address));
  let listener = listen({ hostname: options.hostname, port: options.port });
  const addr = listener.addr as Deno.NetAddr;
  const connections = new Set<Connection>();
  let stopping = false;
  let refusing = 0;
  const sweeper = setInterval(
    () => sweep(connections, limits),
    Math.max(10, Math.min(1000, limits.headTimeoutMs / 4, limits.idleTimeoutMs / 4)),
  );
  Deno.unrefTimer(sweeper);

  const serve = (conn: Deno.Conn) => {
    const connection: Connection = {
      close: new AbortController(),
      busy: 0,
      requests: 0,
      idleSince: performance.now(),
    };
    connections.add(connection);
    const done = () => {
      connection.busy--;
      connection.idleSince = performance.now();
    };
    const cutConnection = () => connection.close.abort();
    connection.served = serveOn(conn, connection.close.signal, (request, info) => {
      connection.busy++;
      connection.requests++;
      info.completed.then(done, done);
      return handler(request, {
        remoteAddr: info.remoteAddr,
        completed: info.completed,
        cutConnection,
      });
    }, (error) => {
      log.error("unhandled error", { error: describeError(error) });
      return new Response(null, { status: 500 });
    }, () => {});
    connection.served.finished.catch(() => {}).finally(() => connections.delete(connection));
  };

  const refuse = (conn: Deno.Conn) => {
    if (refusing >= REFUSALS_AT_ONCE) return closeQuietly(conn);
    refusing++;
    refuseConnection(conn, limits.maxConnections).finally(() => refusing--);
  };

  const acceptLoop = async (): Promise<void> => {
    let backoffMs = 10;
    let relistens = 0;
    while (!stopping) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping) return;
        if (!passes(error)) {
          // The listening socket is broken: take the port again, a few times, then give up so
          // the process exits non-zero and its supervisor starts a new one.
          if (++relistens > RELISTEN_TRIES) throw error;
          log.error("listener failed; listening again", {
            error: describeError(error),
            attempt: relistens,
          });
          closeQuietly(listener);
          await sleep(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 5000);
          try {
            listener = listen({ hostname: addr.hostname, port: addr.port });
          } catch (relistenError) {
            log.error("cannot listen again", { error: describeError(relistenError) });
          }
          continue;
        }
        if (backoffMs === 10) {
          log.warn("cannot accept connections; retrying", {
            error: describeError(error),
            open_connections: connections.size,
          });
        }
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 1000);
        continue;
      }
      if (backoffMs !== 10) log.info("accepting connections again");
      backoffMs = 10;
      relistens = 0;
      if (connections.size >= limits.maxConnections) refuse(conn);
      else serve(conn);
    }
  };

  const accepting = acceptLoop().finally(() => clearInterval(sweeper));
  let drained: Promise<void> | undefined;
  // Idle connections close at once; busy ones finish their response, then close.
  const drain = () =>
    drained ??= (async () => {
      stopping = true;
      closeQuietly(listener);
      await accepting.catch(() => {});
      await Promise.all([...connections].map((connection) => {
        if (connection.busy === 0) connection.close.abort();
        else connection.served?.shutdown().catch(() => {});
        return connection.served?.finished.catch(() => {});
      }));
    })();
  const finished = accepting.then(drain);
  options.onListen?.(addr);
  return {
    addr,
    finished,
    get openConnections() {
      return connections.size;
    },
    shutdown: drain,
    closeConnections() {
      for (const connection of connections) connection.close.abort();
    },
  };
}

/** Closes connections whose first head is late, or that sat idle too long between requests. */
function sweep(connections: Set<Connection>, limits: ConnectionLimits): void {
  const now = performance.now();
  for (const connection of connections) {
    if (connection.busy > 0) continue;
    const limit = connection.requests === 0 ? limits.headTimeoutMs : limits.idleTimeoutMs;
    if (now - connection.idleSince >= limit) connection.close.abort();
  }
}

const REFUSAL_BODY = (max: number) =>
  JSON.stringify({
    error: {
      message:
        `The gateway has ${max} connections open, its limit (MAX_CONNECTIONS); retry shortly.`,
      type: "server_error",
      param: null,
      code: "too_many_connections",
    },
  });

/**
 * A 503 in OpenAI's error shape, written before the request is read (its dialect is not known
 * yet). The request is then read and dropped for a moment: closing a socket with unread bytes
 * sends a reset, which many clients report instead of the answer.
 */
async function refuseConnection(conn: Deno.Conn, max: number): Promise<void> {
  const body = REFUSAL_BODY(max);
  const head = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n" +
    `retry-after: 1\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`;
  const timer = setTimeout(() => closeQuietly(conn), 1000);
  try {
    await conn.write(new TextEncoder().encode(head + body));
    await conn.closeWrite();
    const sink = new Uint8Array(16 * 1024);
    while (await conn.read(sink) !== null) { /* drained and dropped */ }
  } catch {
    // The client left first, or the timer closed the socket.
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}

function passes(error: unknown): boolean {
  if (error instanceof Deno.errors.ConnectionAborted) return true;
  if (error instanceof Deno.errors.ConnectionReset) return true;
  const code = /os error (\d+)/.exec(error instanceof Error ? error.message : String(error));
  return code !== null && PASSING_ACCEPT_ERRORS.has(Number(code[1]));
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
