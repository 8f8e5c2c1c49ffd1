import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import {
  type ConnectionInfo,
  type ConnectionServer,
  denoServeOnConnection,
  serveConnections,
  type ServeOnConnection,
} from "./connection_server.ts";

type Handler = (request: Request, info: ConnectionInfo) => Promise<Response>;

/**
 * Opens the gateway's port with its connection limits (MAX_CONNECTIONS, HEADERS_TIMEOUT_MS,
 * KEEP_ALIVE_TIMEOUT_MS). On a Deno without a per-connection server it falls back to
 * `Deno.serve`, which has none of them, and says so in the log.
 */
export function listenGateway(
  config: Config,
  handler: Handler,
  log: Logger,
  onListen: (addr: Deno.NetAddr) => void,
  serveOn: ServeOnConnection | null = denoServeOnConnection() ?? null,
): ConnectionServer {
  if (serveOn === null) {
    log.warn("this Deno cannot serve connections one by one: connection limits are off");
    const server = Deno.serve({
      hostname: config.host,
      port: config.port,
      onListen: (addr) => onListen(addr),
    }, handler);
    return {
      addr: server.addr,
      finished: server.finished,
      shutdown: () => server.shutdown(),
      closeConnections: () => {},
    };
  }
  return serveConnections(
    {
      hostname: config.host,
      port: config.port,
      limits: {
        maxConnections: config.connections.maxConnections,
        headTimeoutMs: config.connections.headTimeoutMs,
        idleTimeoutMs: config.connections.idleTimeoutMs,
      },
      log,
      onListen: (addr) => onListen(addr),
    },
    handler,
    serveOn,
  );
}
