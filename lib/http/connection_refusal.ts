// How the connection server says no: a 503 in OpenAI's error shape, on a connection it will not
// serve or for a request past the cap, and which failed accepts are worth waiting out.

/** The JSON body of a refusal at MAX_CONNECTIONS. */
export function refusalBody(max: number): string {
  return JSON.stringify({
    error: {
      message: `The gateway has ${max} connections or requests open, its limit ` +
        "(MAX_CONNECTIONS); retry shortly.",
      type: "server_error",
      param: null,
      code: "too_many_connections",
    },
  });
}

/** The refusal as a response, for a request past the cap on a connection already served. */
export function refusalResponse(max: number): Response {
  return new Response(refusalBody(max), {
    status: 503,
    headers: { "content-type": "application/json", "retry-after": "1" },
  });
}

/**
 * The refusal written on a raw connection, after its request head (its dialect is not known
 * yet): a client that finds an answer on a connection it has not used yet (Deno's fetch) reports
 * a failed fetch instead of the 503. The rest of the request is then read and dropped for a
 * moment, since closing a socket with unread bytes sends a reset. A second at most.
 */
export async function refuseConnection(conn: Deno.Conn, max: number): Promise<void> {
  const body = refusalBody(max);
  const head = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n" +
    `retry-after: 1\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`;
  const timer = setTimeout(() => closeQuietly(conn), 1000);
  try {
    await readHead(conn);
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

/** Reads until the end of a request head (or 16 KiB, or the end of input). */
async function readHead(conn: Deno.Conn): Promise<void> {
  const seen = new Uint8Array(16 * 1024);
  let length = 0;
  while (length < seen.length) {
    const n = await conn.read(seen.subarray(length));
    if (n === null) return;
    const from = Math.max(0, length - 3);
    length += n;
    for (let i = from; i + 3 < length; i++) {
      if (seen[i] === 13 && seen[i + 1] === 10 && seen[i + 2] === 13 && seen[i + 3] === 10) return;
    }
  }
}

// Accept errors to wait out (accept(2): out of descriptors or memory, a connection that went
// away before it was taken, and the network errors it says to retry on). Any other error means
// the listening socket itself is broken.
const PASSING_ACCEPT_ERRORS = new Set([
  1, // EPERM (a firewall)
  4, // EINTR
  11, // EAGAIN
  12, // ENOMEM
  23, // ENFILE
  24, // EMFILE
  64, // ENONET
  71, // EPROTO
  92, // ENOPROTOOPT
  95, // EOPNOTSUPP
  100, // ENETDOWN
  101, // ENETUNREACH
  103, // ECONNABORTED
  104, // ECONNRESET
  105, // ENOBUFS
  110, // ETIMEDOUT
  112, // EHOSTDOWN
  113, // EHOSTUNREACH
  10024, // WSAEMFILE
  10053, // WSAECONNABORTED
]);

/** Whether a failed accept passes (wait and accept again) rather than breaks the listener. */
export function acceptErrorPasses(error: unknown): boolean {
  if (error instanceof Deno.errors.ConnectionAborted) return true;
  if (error instanceof Deno.errors.ConnectionReset) return true;
  const code = osErrorOf(error);
  return code !== undefined && PASSING_ACCEPT_ERRORS.has(code);
}

/** Whether a failed accept ran out of file descriptors (EMFILE, ENFILE). */
export function outOfDescriptors(error: unknown): boolean {
  const code = osErrorOf(error);
  return code === 23 || code === 24 || code === 10024;
}

function osErrorOf(error: unknown): number | undefined {
  const match = /os error (\d+)/.exec(error instanceof Error ? error.message : String(error));
  return match === null ? undefined : Number(match[1]);
}

/** Closes `resource`, whether or not it is still open. */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed.
  }
}
