// `POST /console/session` signs the console in with the admin token, `DELETE` signs it out.
// Wrong tokens are bounded per client address (KeyRefusals, as pass-through mode bounds refused
// GigaChat keys), so the admin token cannot be guessed through it.
import { createHash } from "node:crypto";
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
import { KeyRefusals } from "../lib/pipeline/key_refusals.ts";
import { isAdminToken } from "./admin.ts";

/**
 * Wrong tokens per gateway (tests run several in one process): ten a minute from one address,
 * then a 429 until the minute is over; a token refused once is refused again without a look.
 */
const refusalsOf = new WeakMap<AppContext, KeyRefusals>();

/** `POST /console/session` with `{"token": "<ADMIN_TOKEN>"}`: a session cookie, or a 401. */
export async function signIn(request: Request, ctx: RequestContext): Promise<Response> {
  const token = consoleToken(ctx);
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
  ctx.app.log.info("console signed in", { request_id: ctx.requestId });
  return Response.json({ signed_in: true }, {
    headers: {
      "Set-Cookie": sessionCookie(token, Date.now(), overTls(request)),
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
export function consoleToken(ctx: RequestContext): string {
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
