// `GET /console`: the console's page and its two assets, built by `deno task console:build` into
// console/dist/ (embedded in the binary by `deno task compile`). Off without ADMIN_TOKEN.
import type { RequestContext } from "../lib/context.ts";
import { GatewayError } from "../lib/errors.ts";
import { consoleToken } from "./console_session.ts";

const DIST = new URL("../console/dist/", import.meta.url);
const ASSETS: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/**
 * Only the console's own files, no inline script or style, no other site, no framing: what a
 * page that holds an admin session should allow.
 */
const SECURITY_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
    "base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache",
};

const files = new Map<string, Uint8Array<ArrayBuffer>>();

/** `GET /console`: the page (every console route is this page; it reads the hash). */
export function consolePage(_request: Request, ctx: RequestContext): Promise<Response> {
  return serve("index.html", ctx);
}

/** `GET /console/assets/:file`: the bundle and its stylesheet. */
export function consoleAsset(_request: Request, ctx: RequestContext): Promise<Response> {
  const name = ctx.params.file;
  if (!Object.hasOwn(ASSETS, name) || name === "index.html") throw notFound();
  return serve(name, ctx);
}

async function serve(name: string, ctx: RequestContext): Promise<Response> {
  consoleToken(ctx);
  let bytes = files.get(name);
  if (bytes === undefined) {
    try {
      bytes = await Deno.readFile(new URL(name, DIST));
    } catch {
      throw new GatewayError(
        503,
        "The console is not built: run `deno task console:build` (the binaries have it built in).",
        { type: "server_error", code: "console_not_built" },
      );
    }
    files.set(name, bytes);
  }
  return new Response(bytes, { headers: { "Content-Type": ASSETS[name], ...SECURITY_HEADERS } });
}

function notFound(): GatewayError {
  return new GatewayError(404, "No such console file.", {
    type: "not_found_error",
    code: "not_found",
  });
}
