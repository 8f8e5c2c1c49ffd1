// `POST /console/session` signs the console in with the admin token, `DELETE` signs it out (on
// every instance), and `DELETE /admin/console-sessions` signs every browser out. Wrong tokens are
// bounded per client address (KeyRefusals, as pass-through mode bounds refused GigaChat keys), so
// the admin token cannot be guessed through it.
import { createHash } from "node:crypto";
import type { AppContext, RequestContext } from "../lib/context.ts";
import { GatewayError, invalidRequest } from "../lib/errors.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import {
  endedSessionCookie,
  fromOwnPage,
  newSession,
  overTls,
  sessionOf,
} from "../lib/http/console_session.ts";
import type { SessionBook } from "../lib/http/console_sessions.ts";
import { KeyRefusals } from "../lib/pipeline/key_refusals.ts";
import { admitted, isAdminToken } from "./admin.ts";

/**
 * Wrong tokens per gateway (tests run several in one process): ten a minute from one address,
 * then a 429 until the minute is over; a token refused once is refused again without a look.
 */
const refusalsOf = new WeakMap<AppContext, KeyRefusals>();

/** `POST /console/session` with `{"token": "<ADMIN_TOKEN>"}`: a session cookie, or a 401. */
export async function signIn(request: Request, ctx: RequestContext): Promise<Response> {
  const { token, sessions } = consoleOn(ctx);
  // A page elsewhere must not sign a browser in (login CSRF).
  if (!fromOwnPage(request)) throw crossSite();
  const body = await readJsonBody(request, 4096, ctx.app.bodyDeadlines);
  const given = (body as { token?: unknown } | null)?.token;
  if (typeof given !== "string" || given === "") {
    throw invalidRequest('Send the admin token as {"token": "..."}.', "token");
  }
  let refusals = refusalsOf.get(ctx.app);
  if (refusals === undefined) {
    refusals = new KeyRefusals({
      rememberMs: 60_000,
      perAddress: 10,
      windowMs: 60_000,
      maxEntries: 10_000,
    });
    refusalsOf.set(ctx.app, refusals);
  }
  const id = createHash("sha256").update(given).digest("hex");
  await refusals.check(id, ctx.clientAddress(), async () => {
    if (await isAdminToken(token, given)) return;
    ctx.app.log.warn("console sign-in refused", { request_id: ctx.requestId });
    throw new GatewayError(401, "That is not the gateway's admin token.", {
      type: "authentication_error",
      code: "invalid_admin_token",
    });
  });
  const { session, cookie } = newSession(token, Date.now(), overTls(request));
  await sessions.add(session);
  ctx.app.log.info("console signed in", { request_id: ctx.requestId });
  return Response.json({ signed_in: true }, {
    headers: { "Set-Cookie": cookie, "Cache-Control": "no-store" },
  });
}

/** `GET /console/session`: whether this browser is signed in (the page asks before it shows). */
export async function sessionState(request: Request, ctx: RequestContext): Promise<Response> {
  const { token, sessions } = consoleOn(ctx);
  const now = Date.now();
  const session = sessionOf(request, token, now);
  const signedIn = session !== undefined && await sessions.has(session, now);
  return Response.json({ signed_in: signedIn }, { headers: { "Cache-Control": "no-store" } });
}

/** `DELETE /console/session`: this browser's session ended, on every instance. */
export async function signOut(request: Request, ctx: RequestContext): Promise<Response> {
  const { token, sessions } = consoleOn(ctx);
  if (!fromOwnPage(request)) throw crossSite();
  const ended = endedSessionCookie(overTls(request));
  const session = sessionOf(request, token, Date.now());
  try {
    if (session !== undefined) await sessions.end(session.id);
  } catch (error) {
    // The browser forgets its cookie all the same; the error says the session itself lives on.
    if (!(error instanceof GatewayError)) throw error;
    throw error.with({
      message: `${error.message} This browser is signed out, but its session could not be ` +
        "ended: sign out everywhere once the store is back, or change ADMIN_TOKEN.",
      headers: { "Set-Cookie": ended },
      cause: error,
    });
  }
  return Response.json({ signed_in: false }, { headers: { "Set-Cookie": ended } });
}

/** `GET /admin/console-sessions`: how many browsers are signed in to the console. */
export async function countSessions(request: Request, ctx: RequestContext): Promise<Response> {
  await admitted(request, ctx);
  const { sessions } = consoleOn(ctx);
  return Response.json({ object: "console.sessions", signed_in: await sessions.count(Date.now()) });
}

/** `DELETE /admin/console-sessions`: every console session ended, this one's too. */
export async function endAllSessions(request: Request, ctx: RequestContext): Promise<Response> {
  await admitted(request, ctx);
  const { sessions } = consoleOn(ctx);
  const ended = await sessions.endAll(Date.now());
  ctx.app.log.info("console sessions ended", { request_id: ctx.requestId, ended });
  return Response.json({ object: "console.sessions", ended, signed_in: 0 }, {
    headers: { "Set-Cookie": endedSessionCookie(overTls(request)) },
  });
}

/** The admin token, or a 404: the console is off without it. */
export function consoleToken(ctx: RequestContext): string {
  return consoleOn(ctx).token;
}

/** The admin token and the session book, or a 404: the console is off without them. */
function consoleOn(ctx: RequestContext): { token: string; sessions: SessionBook } {
  const token = ctx.app.config.admin.token;
  const sessions = ctx.app.consoleSessions;
  if (token === undefined || ctx.app.tenants === undefined || sessions === undefined) {
    throw new GatewayError(404, "The console is off: set ADMIN_TOKEN to turn it on.", {
      type: "not_found_error",
      code: "console_off",
    });
  }
  return { token, sessions };
}

function crossSite(): GatewayError {
  return new GatewayError(403, "The console signs in only from its own page.", {
    type: "permission_error",
    code: "cross_site_request",
  });
}
