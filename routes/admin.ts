import type { RequestContext } from "../lib/context.ts";
import { GatewayError, invalidRequest } from "../lib/errors.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { parseListQuery, toListPage } from "../lib/openai/list_page.ts";
import { keyMatcher } from "../lib/pipeline/client_auth.ts";
import { fromOwnPage, sessionOf } from "../lib/http/console_session.ts";
import { keyView, parseKeyChange, parseKeyCreation } from "../lib/tenants/tenant.ts";
import type { Tenants } from "../lib/tenants/tenants.ts";
import type { UsageRow } from "../lib/tenants/key_store.ts";

let adminMatcher: { token: string; match: (key: string) => Promise<number> } | undefined;

/**
 * The tenants, for a request with the admin token (`Authorization: Bearer <ADMIN_TOKEN>`) or the
 * console's session cookie (and, to change anything, the console's own page as its Origin); the
 * proxy keys never open this API. @throws {GatewayError} 404 when it is off, 401 without it, 403
 * for a session request from another page
 */
export async function admitted(request: Request, ctx: RequestContext): Promise<Tenants> {
  const { tenants, config } = ctx.app;
  const token = config.admin.token;
  if (tenants === undefined || token === undefined) {
    throw new GatewayError(404, "The admin API is off: set ADMIN_TOKEN to turn it on.", {
      type: "not_found_error",
      code: "admin_api_off",
    });
  }
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  const session = presented === undefined ? sessionOf(request, token, Date.now()) : undefined;
  if (session !== undefined && await ctx.app.consoleSessions?.has(session, Date.now())) {
    if (request.method !== "GET" && request.method !== "HEAD" && !fromOwnPage(request)) {
      throw new GatewayError(403, "The console's session acts only from the console's own page.", {
        type: "permission_error",
        code: "cross_site_request",
      });
    }
    return tenants;
  }
  if (presented === undefined || !await isAdminToken(token, presented)) {
    throw new GatewayError(401, "The admin API takes the ADMIN_TOKEN as 'Authorization: Bearer'.", {
      type: "authentication_error",
      code: "invalid_admin_token",
    });
  }
  return tenants;
}

/** Whether `presented` is `token` (ADMIN_TOKEN), compared in time that does not depend on it. */
export async function isAdminToken(token: string, presented: string): Promise<boolean> {
  if (adminMatcher?.token !== token) adminMatcher = { token, match: await keyMatcher([token]) };
  return await adminMatcher.match(presented) === 0;
}

function notFound(id: string): GatewayError {
  return new GatewayError(404, `No key with id '${id.slice(0, 100)}'.`, {
    type: "not_found_error",
    code: "key_not_found",
    param: "id",
  });
}

/** `POST /admin/keys`: a new key; its secret is in this answer and nowhere else, ever. */
export async function createKey(request: Request, ctx: RequestContext): Promise<Response> {
  const tenants = await admitted(request, ctx);
  const input = parseKeyCreation(
    await readJsonBody(request, ctx.app.config.maxBodyBytes, ctx.app.bodyDeadlines),
  );
  const { tenant, secret } = await tenants.create(input);
  ctx.app.log.info("key created", { key_id: tenant.id, key_name: tenant.name });
  return Response.json({ ...keyView(tenant), key: secret }, { status: 201 });
}

/**
 * `GET /admin/keys?limit=&after=&order=`: the keys, without secrets, a page at a time (newest
 * first unless `order=asc`), as OpenAI's cursor lists.
 */
export async function listKeys(request: Request, ctx: RequestContext): Promise<Response> {
  const tenants = await admitted(request, ctx);
  const query = parseListQuery(new URL(request.url).searchParams, {
    defaultLimit: 100,
    maxLimit: 1000,
  });
  const oldestFirst = (await tenants.keys.all()).sort((a, b) =>
    a.createdAt - b.createdAt || a.id.localeCompare(b.id)
  );
  const page = toListPage(oldestFirst, query, "key");
  return Response.json({ ...page, data: page.data.map(keyView) });
}

/** `GET /admin/keys/{id}`. */
export async function getKey(request: Request, ctx: RequestContext): Promise<Response> {
  const tenants = await admitted(request, ctx);
  const tenant = await tenants.keys.get(ctx.params.id);
  if (tenant === undefined) throw notFound(ctx.params.id);
  return Response.json(keyView(tenant));
}

/** `PATCH /admin/keys/{id}`: changes name, limits, models, expiry or the disabled flag. */
export async function changeKey(request: Request, ctx: RequestContext): Promise<Response> {
  const tenants = await admitted(request, ctx);
  const change = parseKeyChange(
    await readJsonBody(request, ctx.app.config.maxBodyBytes, ctx.app.bodyDeadlines),
  );
  const tenant = await tenants.change(ctx.params.id, change);
  if (tenant === undefined) throw notFound(ctx.params.id);
  ctx.app.log.info("key changed", { key_id: tenant.id, key_name: tenant.name });
  return Response.json(keyView(tenant));
}

/** `DELETE /admin/keys/{id}`: revokes the key at once; its record and usage stay. */
export async function revokeKey(request: Request, ctx: RequestContext): Promise<Response> {
  const tenants = await admitted(request, ctx);
  const tenant = await tenants.change(ctx.params.id, { disabled: true });
  if (tenant === undefined) throw notFound(ctx.params.id);
  ctx.app.log.info("key revoked", { key_id: tenant.id, key_name: tenant.name });
  return Response.json({ ...keyView(tenant), revoked: true });
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const CSV_COLUMNS: (keyof UsageRow)[] = [
  "day",
  "key_id",
  "key_name",
  "model",
  "requests",
  "errors",
  "tokens_in",
  "tokens_out",
  "cost",
];

/**
 * `GET /admin/usage?from=&to=&key=&format=csv`: requests, errors and tokens per day, key and
 * model (days in UTC, both ends included; the last 30 days by default).
 */
export async function usage(request: Request, ctx: RequestContext): Promise<Response> {
  const tenants = await admitted(request, ctx);
  const query = new URL(request.url).searchParams;
  const today = new Date().toISOString().slice(0, 10);
  const from = query.get("from") ??
    new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
  const to = query.get("to") ?? today;
  for (const [name, value] of [["from", from], ["to", to]]) {
    const time = Date.parse(`${value}T00:00:00Z`);
    const real = DAY.test(value) && !Number.isNaN(time) &&
      new Date(time).toISOString().startsWith(value);
    if (!real) throw invalidRequest(`${name} must be a day as YYYY-MM-DD.`, name);
  }
  if (from > to) throw invalidRequest("from must not be after to.", "from");
  const key = query.get("key") ?? undefined;
  const rows = await tenants.usage.query(from, to, key);
  const format = query.get("format") ?? "json";
  if (format === "csv") {
    const lines = [
      CSV_COLUMNS.join(","),
      ...rows.map((row) => CSV_COLUMNS.map((column) => csvField(row[column])).join(",")),
    ];
    return new Response(lines.join("\r\n") + "\r\n", {
      headers: { "Content-Type": "text/csv; charset=utf-8" },
    });
  }
  if (format !== "json") throw invalidRequest("format must be json or csv.", "format");
  return Response.json({ object: "list", from, to, data: rows });
}

/** A CSV field, quoted when it must be; a leading =+-@ is defused for spreadsheets. */
function csvField(value: string | number): string {
  if (typeof value === "number") return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
