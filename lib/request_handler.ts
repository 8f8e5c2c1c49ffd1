import type { ConnectionInfo } from "./http/connection_server.ts";
import type { AppContext, Handler, RequestContext } from "./context.ts";
import {
  clientClosed,
  GatewayError,
  gatewayKeyRefused,
  invalidRequest,
  shuttingDown,
  toErrorResponse,
} from "./errors.ts";
import { corsHeaders, preflightResponse } from "./http/cors.ts";
import { forwardedHeaders, requestIdFor } from "./http/request_id.ts";
import { normalizePath, type Route, type RouteMatch, Router } from "./http/router.ts";
import { describeError } from "./log.ts";
import { anthropicErrorResponse } from "./dialects/messages/anthropic_error.ts";
import { googleErrorResponse } from "./dialects/gemini/google_error.ts";
import { costOf } from "./tenants/prices.ts";
import { logRequest, logWhenStreamEnds, type RequestLogFields } from "./request_log.ts";
import { dialectOf } from "./metrics.ts";
import type { TrafficHistory } from "./request_history.ts";
import { currentSpan, type SpanLike } from "./tracing.ts";

/** The request handler and the means to end what it still runs when shutdown stops waiting. */
export interface RequestHandler {
  handle(request: Request, info?: ConnectionInfo): Promise<Response>;
  /** Aborts every handler still running (streams end on `app.stopping`). */
  abortInFlight(): void;
}

/**
 * The short pipeline every request goes through: its context (id, passed headers, a signal
 * that aborts when the client leaves or shutdown stops waiting), routing, one place where
 * anything thrown becomes the error response, CORS and request-id headers, HEAD, and the log
 * line (written when a stream ends, for streams).
 */
export function createRequestHandler(
  app: AppContext,
  routes: readonly Route<Handler>[],
): RequestHandler {
  const router = new Router(routes);
  // Handlers still running, so shutdown can stop them; one plain controller each, rather than
  // AbortSignal.any on every request (measurably slower, see bench/README.md).
  const inFlight = new Set<AbortController>();

  async function handle(
    request: Request,
    info?: ConnectionInfo,
  ): Promise<Response> {
    const started = performance.now();
    // Deno's span for this request, taken while it is the active one (tracing on only).
    const span = currentSpan();
    // Parsed, not sliced by hand: slicing saved ~60 ns a request, and got the Host header's
    // special cases wrong once.
    const path = new URL(request.url).pathname;
    const controller = new AbortController();
    const onClientGone = () => controller.abort(request.signal.reason);
    request.signal.addEventListener("abort", onClientGone, { once: true });
    inFlight.add(controller);
    const match = request.method === "OPTIONS" ? undefined : router.match(request.method, path);
    const ctx: RequestContext = {
      app,
      requestId: requestIdFor(request),
      params: match?.kind === "found" ? match.params : {},
      forwardHeaders: forwardedHeaders(request),
      // Read only by the /metrics guard; taking it costs every request a call into Deno.
      clientAddress: () =>
        info?.remoteAddr.transport === "tcp" ? info.remoteAddr.hostname : undefined,
      signal: controller.signal,
      cutConnection: info?.cutConnection,
      delivered: info?.cutConnection === undefined ? undefined : info.completed,
      trace: { upstreamAttempts: 0, route: match?.kind === "not_found" ? undefined : match?.route },
    };
    let response: Response;
    let errorCode: string | undefined;
    try {
      response = await route(request, path, match, ctx);
    } catch (thrown) {
      // Whatever a departed client's abort interrupted, it is not a gateway failure.
      const interrupted = !(thrown instanceof GatewayError) || thrown.status === 499;
      const error = app.stopping.aborted && interrupted
        ? shuttingDown()
        : request.signal.aborted && !(thrown instanceof GatewayError)
        ? clientClosed(request.signal.reason)
        : ownKeyRefused(app, ctx, thrown);
      errorCode = error instanceof GatewayError ? error.code ?? error.type : "internal_error";
      response = toErrorResponse(
        error,
        (unexpected) =>
          app.log.error("unhandled error", {
            request_id: ctx.requestId,
            error: describeError(unexpected),
          }),
        errorRendererFor(request, path, ctx.requestId),
      );
    } finally {
      // A streamed body outlives the handler; it stops on its own cancel and on `stopping`.
      inFlight.delete(controller);
      request.signal.removeEventListener("abort", onClientGone);
    }
    response = withHeaders(
      response,
      ctx.requestId,
      corsHeaders(request.headers.get("origin"), app.config.corsOrigins),
    );
    const fields: RequestLogFields = {
      request_id: ctx.requestId,
      method: request.method,
      path,
      status: response.status,
      duration_ms: 0,
      model: ctx.trace.model,
      backend: ctx.trace.backend,
      credential: ctx.trace.credential,
      upstream_attempts: ctx.trace.upstreamAttempts,
      stream: undefined,
      ttfb_ms: undefined,
      error_code: errorCode,
      tenant: ctx.trace.tenant?.name,
    };
    const observe = () => {
      settleTenant(app, ctx, fields);
      app.metrics.observeRequest({
        route: ctx.trace.route ?? "unknown",
        status: fields.status,
        model: fields.model,
        durationMs: fields.duration_ms,
        ttfbMs: fields.ttfb_ms,
      });
      if (app.history !== undefined) recordRequest(app.history, ctx, fields);
      if (span !== undefined) annotate(span, ctx, fields);
    };
    // Known now, and the span may end with the response's last byte: set at once too.
    if (span !== undefined) annotate(span, ctx, fields);
    if (request.method === "HEAD") {
      logRequest(app.log, fields, started);
      observe();
      // The body is not sent, so it is not read either (a file download would otherwise run).
      await response.body?.cancel();
      return new Response(null, response);
    }
    const streamEnd = ctx.trace.streamEnd;
    // A stream's log line is written when it ends, so it tells how it ended and how long it ran.
    if (streamEnd !== undefined) {
      app.metrics.openStreams.add([], 1);
      logWhenStreamEnds(app.log, fields, started, streamEnd, () => {
        app.metrics.openStreams.add([], -1);
        observe();
      });
    } else {
      logRequest(app.log, fields, started);
      observe();
    }
    return response;
  }

  function route(
    request: Request,
    path: string,
    match: RouteMatch<Handler> | undefined,
    ctx: RequestContext,
  ): Promise<Response> {
    if (match === undefined) {
      return Promise.resolve(preflightResponse(request, app.config.corsOrigins));
    }
    switch (match.kind) {
      case "found":
        // Deno has put the URL on the span before any code of ours ran; a key in it would be
        // exported with every such request. Refused, so no client goes on doing it.
        // (The admin API's `key` is a key's id, no secret.)
        if (
          currentSpan() !== undefined && !match.route.startsWith("/admin/") &&
          new URL(request.url).searchParams.has("key")
        ) {
          throw invalidRequest(
            "This gateway traces requests, and a trace records the URL: send the key as the " +
              "x-goog-api-key header (or Authorization: Bearer), not as ?key= in the URL.",
            "key",
            "key_in_url",
          );
        }
        return match.handler(request, ctx);
      case "method_not_allowed":
        throw new GatewayError(
          405,
          `Method ${request.method} is not allowed on ${path}; use ${match.allow.join(" or ")}.`,
          {
            type: "invalid_request_error",
            code: "method_not_allowed",
            headers: { Allow: [...match.allow, "OPTIONS"].join(", ") },
          },
        );
      default:
        throw new GatewayError(
          404,
          `Unknown endpoint ${request.method} ${path}. See GET / for the endpoints ` +
            "this gateway serves (with or without the /v1 prefix).",
          { type: "invalid_request_error", code: "unknown_url" },
        );
    }
  }

  return {
    handle,
    abortInFlight: () => {
      for (const controller of inFlight) controller.abort(shuttingDown());
    },
  };
}

/**
 * In server-side mode no client's key goes to GigaChat: its refusing an access token after the
 * request reached it (a ready GIGACHAT_ACCESS_TOKEN that expired, a token revoked early) refuses
 * the gateway's own credential, which the operator must fix; the client is told so.
 */
function ownKeyRefused(app: AppContext, ctx: RequestContext, thrown: unknown): unknown {
  if (
    app.config.credentials === undefined || !(thrown instanceof GatewayError) ||
    thrown.status !== 401 || thrown.type !== "authentication_error" ||
    ctx.trace.upstreamAttempts === 0
  ) {
    return thrown;
  }
  const setting = app.config.credentialKind.setting;
  app.log.error(`${setting} refused`, { request_id: ctx.requestId, error: thrown.message });
  return gatewayKeyRefused(thrown, setting);
}

/** Keeps a finished request's metadata for the admin API (never its content). */
function recordRequest(
  history: TrafficHistory,
  ctx: RequestContext,
  fields: RequestLogFields,
): void {
  const route = ctx.trace.route;
  // The console's own calls would crowd out the traffic it is there to show.
  if (route?.startsWith("/admin/") || route?.startsWith("/console")) return;
  history.record({
    time: Date.now(),
    request_id: fields.request_id,
    key_name: ctx.trace.tenant?.name,
    method: fields.method,
    path: fields.path,
    route,
    dialect: route === undefined ? undefined : dialectOf(route),
    model: fields.model,
    status: fields.status,
    duration_ms: fields.duration_ms,
    ttfb_ms: fields.ttfb_ms,
    tokens_in: ctx.trace.usage?.input,
    tokens_out: ctx.trace.usage?.output,
    error_code: fields.error_code,
    stream: fields.stream,
    queue_ms: ctx.trace.queueMs,
  });
}

/**
 * A finished request's share of its tenant's limits and usage: what it reserved settled for what
 * it used (tokens, and money at MODEL_PRICES), and its line in the usage record and metrics.
 */
function settleTenant(app: AppContext, ctx: RequestContext, fields: RequestLogFields): void {
  const tenant = ctx.trace.tenant;
  const used = ctx.trace.usage;
  const cost = tenant === undefined
    ? 0
    : costOf(app.config.prices, app.config.modelAliases, fields.model, used);
  ctx.trace.settleTokens?.((used?.input ?? 0) + (used?.output ?? 0), cost);
  if (tenant === undefined) return;
  const failed = fields.status >= 400 || fields.stream === "failed";
  // Known model names only (as the metrics label them): a client's made-up ones must not grow
  // the usage record.
  app.tenants?.record(tenant, app.metrics.modelLabel(fields.model), failed, used, cost);
  app.metrics.observeTenant(tenant.name, failed, used);
}

/** The gateway's facts about a request on its trace span: ids and counts, never content. */
function annotate(span: SpanLike, ctx: RequestContext, fields: RequestLogFields): void {
  const route = ctx.trace.route ?? "unknown";
  const attributes: Record<string, string | number> = {
    "gateway.request_id": ctx.requestId,
    "gateway.route": route,
    "gateway.dialect": dialectOf(route),
    "gateway.upstream_attempts": ctx.trace.upstreamAttempts,
  };
  if (ctx.trace.model !== undefined) attributes["gateway.model"] = ctx.trace.model;
  if (ctx.trace.tenant !== undefined) attributes["gateway.tenant"] = ctx.trace.tenant.name;
  if (ctx.trace.backend !== undefined) attributes["gateway.backend"] = ctx.trace.backend;
  if (ctx.trace.usage !== undefined) {
    attributes["gen_ai.usage.input_tokens"] = ctx.trace.usage.input;
    attributes["gen_ai.usage.output_tokens"] = ctx.trace.usage.output;
  }
  if (fields.stream !== undefined) attributes["gateway.stream"] = fields.stream;
  span.setAttributes(attributes);
}

/**
 * Adds the request id and CORS headers, copying the response first when its headers are
 * immutable (fetch results).
 */
function withHeaders(
  response: Response,
  requestId: string,
  cors: Record<string, string>,
): Response {
  const stamp = (target: Response) => {
    target.headers.set("X-Request-ID", requestId);
    for (const name in cors) target.headers.set(name, cors[name]);
    return target;
  };
  try {
    return stamp(response);
  } catch {
    return stamp(new Response(response.body, response));
  }
}

/**
 * How errors are rendered on `path`: in Anthropic's shape on the Messages routes and in Google's
 * on the Gemini ones (their clients read nothing else), in OpenAI's everywhere else.
 */
function errorRendererFor(
  request: Request,
  path: string,
  requestId: string,
): ((error: GatewayError) => Response) | undefined {
  const normal = normalizePath(path);
  if (/^\/messages(\/|$)/.test(normal)) {
    return (error) => anthropicErrorResponse(error, requestId);
  }
  return isGeminiPath(request, normal) ? googleErrorResponse : undefined;
}

/**
 * A Gemini API request: under `/v1beta`, a `models/{model}:{method}` call, or the model list
 * asked for with a Google key.
 */
function isGeminiPath(request: Request, normal: string): boolean {
  if (normal === "/v1beta" || normal.startsWith("/v1beta/")) return true;
  if (/^\/models\/.+:[A-Za-z]+$/.test(normal)) return true;
  return /^\/models(\/|$)/.test(normal) &&
    (request.headers.has("x-goog-api-key") || new URL(request.url).searchParams.has("key"));
}
