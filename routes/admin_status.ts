// What the console shows, as the admin API gives it to scripts too: the gateway's state, its
// recent requests (metadata only), the last minutes' traffic, and the models it knows.
import type { RequestContext } from "../lib/context.ts";
import { invalidRequest } from "../lib/errors.ts";
import { VERSION } from "../lib/version.ts";
import { SAMPLE_S } from "../lib/request_history.ts";
import { admitted } from "./admin.ts";

/** `GET /admin/status`: version, uptime, GigaChat hosts and backends, credentials, Redis, readiness. */
export async function status(request: Request, ctx: RequestContext): Promise<Response> {
  await admitted(request, ctx);
  const { app } = ctx;
  const { config } = app;
  return Response.json({
    object: "gateway.status",
    version: VERSION,
    uptime_s: Math.round((Date.now() - app.startedAt) / 1000),
    ready: app.ready(),
    auth_mode: config.credentials === undefined ? "pass-through" : "server-side",
    gigachat: {
      api_host: new URL(config.apiUrl).host,
      auth_host: new URL(config.authUrl).host,
      default_backend: config.backends.default,
      v2_host: config.backends.v2Url === undefined ? null : new URL(config.backends.v2Url).host,
    },
    credentials: app.pool?.status() ?? [],
    shared_store: app.sharedStoreUp === undefined
      ? { configured: false }
      : { configured: true, reachable: await app.sharedStoreUp() },
    open_streams: app.metrics.openStreams.get([]),
    queue_length: app.metrics.queued.get([]),
    // Unknown (null) while the shared store that keeps them is away.
    console_sessions: await app.consoleSessions?.count(Date.now()).catch(() => null) ?? null,
  });
}

/**
 * `GET /admin/requests?key=&status=&model=&limit=`: the latest requests (with REDIS_URL, of every
 * instance; `scope` says which), newest first:
 * time, key name, route, dialect, model, status, latency, tokens, error code, request id.
 */
export async function recentRequests(request: Request, ctx: RequestContext): Promise<Response> {
  await admitted(request, ctx);
  const query = new URL(request.url).searchParams;
  const limit = whole(query.get("limit"), "limit", 1, 1000) ?? 100;
  const status = whole(query.get("status"), "status", 100, 599);
  const listing = await ctx.app.history?.recent({
    key: query.get("key") ?? undefined,
    model: query.get("model") ?? undefined,
    status,
    limit,
  });
  return Response.json({
    object: "list",
    scope: listing?.scope ?? "instance",
    data: listing?.data ?? [],
  });
}

/**
 * `GET /admin/live?minutes=`: requests, errors, tokens and waits per 10 s over the last minutes,
 * and the gauges now (with REDIS_URL, of every instance; `scope` says which).
 */
export async function live(request: Request, ctx: RequestContext): Promise<Response> {
  await admitted(request, ctx);
  const minutes = whole(new URL(request.url).searchParams.get("minutes"), "minutes", 1, 15) ?? 5;
  const { metrics, history } = ctx.app;
  const traffic = await history?.traffic(minutes);
  return Response.json({
    object: "gateway.live",
    scope: traffic?.scope ?? "instance",
    interval_s: SAMPLE_S,
    samples: traffic?.samples ?? [],
    ...(traffic?.load ?? {
      open_streams: metrics.openStreams.get([]),
      queue_length: metrics.queued.get([]),
      generating: metrics.generating.get([]),
    }),
  });
}

/** `GET /admin/models`: the capability table as the gateway sees it, with the aliases. */
export async function modelTable(request: Request, ctx: RequestContext): Promise<Response> {
  await admitted(request, ctx);
  const { config } = ctx.app;
  const data = Object.entries(config.capabilities).map(([id, capabilities]) => ({
    id,
    ...capabilities,
    fallbacks: Object.hasOwn(config.fallbacks, id) ? config.fallbacks[id] : [],
  }));
  return Response.json({ object: "list", data, aliases: config.modelAliases });
}

/** A query parameter that must be a whole number within bounds, if given. */
function whole(
  value: string | null,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value === null || value === "") return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw invalidRequest(`'${name}' must be a whole number from ${min} to ${max}.`, name);
  }
  return number;
}
