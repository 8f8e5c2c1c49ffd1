import type { RequestContext } from "../lib/context.ts";
import { VERSION } from "../lib/version.ts";

/** `GET /health`: liveness only; never calls GigaChat, so it stays cheap for probes. */
export function health(_request: Request, ctx: RequestContext): Promise<Response> {
  return Promise.resolve(Response.json({
    status: "ok",
    version: VERSION,
    uptime_s: Math.round((Date.now() - ctx.app.startedAt) / 1000),
  }));
}

/**
 * `GET /ready`: 200 while the gateway takes new work, 503 from a shutdown signal on, so a load
 * balancer stops sending before the listener closes; with GIGACHAT_POOL, each credential's
 * state. Never calls GigaChat.
 */
export function ready(_request: Request, ctx: RequestContext): Promise<Response> {
  const isReady = ctx.app.ready();
  // GIGACHAT_POOL's credentials by name and state (never a key): one that is out stays out of
  // the balancer's decision, since another instance has the same credentials.
  const credentials = ctx.app.config.pool === undefined ? undefined : ctx.app.pool?.status();
  return Promise.resolve(Response.json(
    { status: isReady ? "ready" : "draining", credentials },
    { status: isReady ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  ));
}

/** `GET /metrics`: Prometheus' text format, for those `guardMetrics` lets in. */
export async function metrics(request: Request, ctx: RequestContext): Promise<Response> {
  await ctx.app.guardMetrics(request, ctx.clientAddress());
  return new Response(ctx.app.metrics.render(), {
    headers: {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      "Cache-Control": "no-store",
    },
  });
}
