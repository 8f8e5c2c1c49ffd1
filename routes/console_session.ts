// `POST /console/session` signs the console in with the admin token, `DELETE` signs it out.
// Failed sign-ins are bounded per client address, so the token cannot be guessed through it.
import type { AppContext, RequestContext } from "../lib/context.ts";
import { GatewayError, invalidRequest } from "../lib/errors.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import {
  endedSessionCookie,
  fromOwnPage,
  hasSession,
  overTls,
  sessionCookie,
} from "../lib/http/console_session.ts";
import { keyMatcher } from "../lib/pipeline/client_auth.ts";

/** Failed sign-ins allowed per address and minute. */
const FAILURES_PER_MINUTE = 10;
/** Failed sign-ins per gateway (tests run several in one process) and client address. */
const failuresOf = new WeakMap<AppContext, Map<string, { count: number; since: number }>>();
let matcher: { token: string; match: (key: string) => Promise<number> } | undefined;

/** `POST /console/session` with `{"token": "<ADMIN_TOKEN>"}`: a session cookie, or a 401. */
export async function signIn(request: Request, ctx: RequestContext): Promise<Response> {
  const token = consoleToken(ctx);
  // A page elsewhere must not sign a browser in (login CSRF).
  if (!fromOwnPage(request)) throw crossSite();
  const address = ctx.clientAddress() ?? "";
  const now = Date.now();
  let failures = failuresOf.get(ctx.app);
  if (failures === undefined) failuresOf.set(ctx.app, failures = new Map());
  const failed = failures.get(address);
  if (failed !== undefined && now - failed.since < 60_000 && failed.count >= FAILURES_PER_MINUTE) {
    throw new GatewayError(429, "Too many failed sign-ins; wait a minute.", {
      type: "rate_limit_error",
      code: "too_many_sign_ins",
      headers: { "Retry-After": "60" },
    });
  }
  const body = await readJsonBody(request, 4096, ctx.app.bodyDeadlines);
  const given = (body as { token?: unknown } | null)?.token;
  if (typeof given !== "string" || given === "") {
    throw invalidRequest('Send the admin token as {"token": "..."}.', "token");
  }
  if (matcher?.token !== token) matcher = { token, match: await keyMatcher([token]) };
  if (await matcher.match(given) !== 0) {
    if (failures.size > 10_000) failures.clear();
    const fresh = failed === undefined || now - failed.since >= 60_000;
    failures.set(address, {
      count: fresh ? 1 : failed.count + 1,
      since: fresh ? now : failed.since,
    });
    ctx.app.log.warn("console sign-in refused", { request_id: ctx.requestId });
    throw new GatewayError(401, "That is not the gateway's admin token.", {
      type: "authentication_error",
      code: "invalid_admin_token",
    });
  }
  failures.delete(address);
  ctx.app.log.info("console signed in", { request_id: ctx.requestId });
  return Response.json({ signed_in: true }, {
    headers: {
      "Set-Cookie": sessionCookie(token, now, overTls(request)),
      "Cache-Control": "no-store",
    },
  });
}

/** `GET /console/session`: whether this browser is signed in (the page asks before it shows). */
export function sessionState(request: Request, ctx: RequestContext): Promise<Response> {
  const token = consoleToken(ctx);
  return Promise.resolve(
    Response.json({ signed_in: hasSession(request, token, Date.now()) }, {
      headers: { "Cache-Control": "no-store" },
    }),
  );
}

/** `DELETE /console/session`: the cookie ended. */
export function signOut(request: Request, ctx: RequestContext): Promise<Response> {
  consoleToken(ctx);
  if (!fromOwnPage(request)) throw crossSite();
  return Promise.resolve(
    Response.json({ signed_in: false }, {
      headers: { "Set-Cookie": endedSessionCookie(overTls(request)) },
    }),
  );
}

/** The admin token, or a 404: the console is off without it. */
function consoleToken(ctx: RequestContext): string {
  const token = ctx.app.config.admin.token;
  if (token === undefined || ctx.app.tenants === undefined) {
    throw new GatewayError(404, "The console is off: set ADMIN_TOKEN to turn it on.", {
      type: "not_found_error",
      code: "console_off",
    });
  }
  return token;
}

function crossSite(): GatewayError {
  return new GatewayError(403, "The console signs in only from its own page.", {
    type: "permission_error",
    code: "cross_site_request",
  });
}
