// The console's sign-in: the admin token once, then a cookie that proves it was given. The
// cookie holds only its expiry and an HMAC of it keyed with the admin token, so every instance
// that shares the token accepts it and changing the token ends every session.
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** The cookie's name. */
export const SESSION_COOKIE = "gateway_console";
/** How long a session lasts: a working day. */
export const SESSION_MS = 12 * 3_600_000;

/** The cookie for a new session, `Secure` where the console is served over TLS. */
export function sessionCookie(adminToken: string, now: number, secure: boolean): string {
  const expires = now + SESSION_MS;
  return cookie(`${expires}.${mac(adminToken, expires)}`, SESSION_MS / 1000, secure);
}

/** The cookie that ends a session. */
export function endedSessionCookie(secure: boolean): string {
  return cookie("", 0, secure);
}

/** Whether `request` carries a session made with `adminToken` that has not expired. */
export function hasSession(request: Request, adminToken: string, now: number): boolean {
  const value = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
  const match = value === undefined ? null : /^(\d{1,15})\.([0-9a-f]{64})$/.exec(value);
  if (match === null) return false;
  const expires = Number(match[1]);
  if (expires <= now || expires > now + SESSION_MS) return false;
  const expected = Buffer.from(mac(adminToken, expires), "hex");
  return timingSafeEqual(expected, Buffer.from(match[2], "hex"));
}

/**
 * Whether a request that changes something comes from the console's own page: its Origin (which
 * browsers send with every such request) names this host. With the cookie's SameSite=Strict,
 * this keeps other sites' pages from acting with an operator's session.
 */
export function fromOwnPage(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return false;
  try {
    const host = new URL(origin).host;
    // Behind a reverse proxy that gives the gateway its own Host, the public one comes as
    // X-Forwarded-Host; another site's page cannot send that header without CORS allowing it.
    const forwarded = request.headers.get("x-forwarded-host")?.split(",")[0].trim();
    return host === new URL(request.url).host || host === forwarded;
  } catch {
    return false;
  }
}

/** Whether the console was reached over TLS (directly, or through a proxy that says so). */
export function overTls(request: Request): boolean {
  return new URL(request.url).protocol === "https:" ||
    request.headers.get("x-forwarded-proto")?.split(",")[0].trim() === "https";
}

function mac(adminToken: string, expires: number): string {
  return createHmac("sha256", adminToken).update(`console-session\n${expires}`).digest("hex");
}

function cookie(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict` +
    (secure ? "; Secure" : "");
}

function cookieValue(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
