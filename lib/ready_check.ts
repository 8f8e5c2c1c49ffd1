// `gigachat-gateway --check-ready`: the container's health check. The image has no shell and
// no curl, so the binary asks its own /ready, over loopback, and says so by its exit code.

/** Where a gateway listening on `host`:`port` answers `/ready` from the same machine. */
export function readyUrl(host: string, port: number): string {
  // A wildcard address listens on loopback too; a literal IPv6 address needs brackets.
  const target = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${target.includes(":") ? `[${target}]` : target}:${port}/ready`;
}

/** Asks `url` once; the message says why it is not ready, or null when it is. */
export async function checkReady(url: string, timeoutMs = 3000): Promise<string | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status === 200 ? null : `${url}: HTTP ${response.status}`;
  } catch (error) {
    return `${url}: ${error instanceof Error ? error.message : error}`;
  }
}
