// The console's sign-in: the admin token once, then a cookie that proves it was given. The
// cookie holds a session id, its expiry and an HMAC of both keyed with the admin token, so a
// cookie is checked without a look-up and changing the token ends every session; the session
// book (console_sessions.ts) holds which ids are still signed in, so signing out ends one.
import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The cookie's name. */
export const SESSION_COOKIE = "gateway_console";
/** How long a session lasts: a working day. */
export const SESSION_MS = 12 * 3_600_000;
/** How far ahead of this instance's clock another instance's clock may be. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** A session as its cookie names it. */
export interface Session {
  id: string;
  /** When it ends (ms since the epoch). */
  expires: number;
}

/** A new session and its cookie, `Secure` where the console is served over TLS. */
export function newSession(
  adminToken: string,
  now: number,
  secure: boolean,
): { session: Session; cookie: string } {
  const session = { id: randomBytes(16).toString("hex"), expires: now + SESSION_MS };
  const value = `${session.expires}.${session.id}.${mac(adminToken, session)}`;
  return { session, cookie: cookie(value, SESSION_MS / 1000, secure) };
}

/** The cookie that ends a session. */
export function endedSessionCookie(secure: boolean): string {
  return cookie("", 0, secure);
}

/**
 * The session `request`'s cookie names, when `adminToken` made it and it has not expired
 * (whether it is still signed in is the session book's to say).
 */
export function sessionOf(request: Request, adminToken: string, now: number): Session | undefined {
  const value = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
  const match = value === undefined
    ? null
    : /^(\d{1,15})\.([0-9a-f]{32})\.([0-9a-f]{64})$/.exec(value);
  if (match === null) return undefined;
  const session = { expires: Number(match[1]), id: match[2] };
  // A cookie made by an instance whose clock is a little ahead is still good.
  if (session.expires <= now || session.expires > now + SESSION_MS + CLOCK_SKEW_MS) {
    return undefined;
  }
  const expected = Buffer.from(mac(adminToken, session), "hex");
  return timingSafeEqual(expected, Buffer.from(match[3], "hex")) ? session : undefined;
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

function mac(adminToken: string, session: Session): string {
  return createHmac("sha256", adminToken)
    .update(`console-session\n${session.expires}\n${session.id}`).digest("hex");
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
