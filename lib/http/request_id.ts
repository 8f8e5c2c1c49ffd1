// Only ids that are safe to echo into headers and log lines are taken from the client.
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's X-Request-ID when it is a plain token, otherwise a fresh UUID. */
export function requestIdFor(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given !== null && CLIENT_ID.test(given) ? given : crypto.randomUUID();
}

const FORWARDED = ["x-session-id", "x-client-id"] as const;

/** X-Session-ID and X-Client-ID from the client, passed on to GigaChat (API-chat.md §2). */
export function forwardedHeaders(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = request.headers.get(name);
    if (value !== null && CLIENT_ID.test(value)) headers[name] = value;
  }
  return headers;
}
