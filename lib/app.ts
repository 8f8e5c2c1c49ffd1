import { ROUTES } from "../routes/table.ts";
import type { Config } from "./config.ts";
import { Deadlines } from "./deadlines.ts";
import type { AppContext, RequestContext, StreamOutcome } from "./context.ts";
import {
  clientClosed,
  GatewayError,
  gatewayKeyRefused,
  shuttingDown,
  toErrorResponse,
} from "./errors.ts";
import { createUpstreamHttpClient, readExtraCaFile } from "./gigachat/http_client.ts";
import { type Fetcher, UpstreamClient } from "./gigachat/upstream_client.ts";
import { createAuthenticator } from "./http/client_auth.ts";
import { corsHeaders, preflightResponse } from "./http/cors.ts";
import { forwardedHeaders, requestIdFor } from "./http/request_id.ts";
import { requestPath } from "./http/request_url.ts";
import { Router } from "./http/router.ts";
import { describeError, Logger, type LogSink } from "./log.ts";
import { ModelCatalog } from "./models/model_catalog.ts";
import { AttachmentUploader } from "./vision/attachment_uploader.ts";

export interface GatewayOptions {
  /** Where log lines go (tests read them); stdout by default. */
  logSink?: LogSink;
  /** Replaces the TLS-pinned fetch (unit tests without a network). */
  fetch?: Fetcher;
}

/**
 * A ready gateway: `handler` serves requests; `abortInFlight` ends what is still running when
 * shutdown stops waiting (streams get an error event and [DONE]); `close` frees the upstream
 * connections.
 */
export interface Gateway {
  readonly handler: (request: Request) => Promise<Response>;
  readonly log: Logger;
  abortInFlight(): void;
  close(): void;
}

/** Wires configuration, logger, upstream client and routes into one request handler. */
export async function createGateway(
  config: Config,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const log = new Logger({
    level: config.logLevel,
    sink: options.logSink,
    secrets: [config.credentials ?? "", ...config.proxyApiKeys],
  });
  let fetcher = options.fetch;
  let httpClient: Deno.HttpClient | undefined;
  if (fetcher === undefined) {
    const extraCas = config.caFile ? await readExtraCaFile(config.caFile) : [];
    const client = createUpstreamHttpClient(extraCas);
    httpClient = client;
    fetcher = (input, init) => fetch(input, { ...init, client });
  }
  const upstream = new UpstreamClient({
    apiUrl: config.apiUrl,
    authUrl: config.authUrl,
    retry: {
      maxAttempts: config.upstreamMaxAttempts,
      baseDelayMs: config.retryBaseDelayMs,
      maxDelayMs: config.retryMaxDelayMs,
    },
    requestTimeoutMs: config.requestTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    tokenRefreshBufferMs: config.tokenRefreshBufferMs,
    tokenCacheSize: config.tokenCacheSize,
    fetch: fetcher,
  });
  const checkKey = await createAuthenticator(config);
  const startedAt = Date.now();
  const stopping = new AbortController();
  const app: AppContext = {
    config,
    log,
    upstream,
    models: new ModelCatalog({
      upstream,
      aliases: config.modelAliases,
      ttlMs: config.modelsCacheTtlMs,
      maxEntries: config.tokenCacheSize,
      created: Math.floor(startedAt / 1000),
      capabilities: config.capabilities,
    }),
    attachments: new AttachmentUploader(upstream, {
      ttlMs: config.uploadCacheTtlMs,
      maxEntries: config.tokenCacheSize * 10,
    }),
    authenticate: async (request, { signal, trace }) => {
      const credential = await checkKey(request);
      // The key is proven before anything is fetched, uploaded or sent on its behalf.
      try {
        await upstream.authorize(credential, signal, trace);
      } catch (error) {
        if (config.credentials === undefined || !(error instanceof GatewayError)) throw error;
        if (error.status !== 401) throw error;
        // The gateway's own key was refused: the client's key is fine, the operator must act.
        log.error("GIGACHAT_CREDENTIALS refused", { error: error.message });
        throw gatewayKeyRefused(error);
      }
      return credential;
    },
    bodyDeadlines: new Deadlines(config.requestBodyTimeoutMs),
    startedAt,
    stopping: stopping.signal,
  };
  const router = new Router(ROUTES);

  // Handlers still running, so shutdown can stop them; one plain controller each, rather than
  // AbortSignal.any on every request (measurably slower, see bench/README.md).
  const inFlight = new Set<AbortController>();

  async function handler(request: Request): Promise<Response> {
    const started = performance.now();
    const path = requestPath(request.url);
    const controller = new AbortController();
    const onClientGone = () => controller.abort(request.signal.reason);
    request.signal.addEventListener("abort", onClientGone, { once: true });
    inFlight.add(controller);
    const ctx: RequestContext = {
      app,
      requestId: requestIdFor(request),
      params: {},
      forwardHeaders: forwardedHeaders(request),
      signal: controller.signal,
      trace: { upstreamAttempts: 0 },
    };
    let response: Response;
    try {
      response = await route(request, path, ctx);
    } catch (thrown) {
      // Whatever a departed client's abort interrupted, it is not a gateway failure.
      const interrupted = !(thrown instanceof GatewayError) || thrown.status === 499;
      const error = stopping.signal.aborted && interrupted
        ? shuttingDown()
        : request.signal.aborted && !(thrown instanceof GatewayError)
        ? clientClosed(request.signal.reason)
        : thrown;
      response = toErrorResponse(error, (unexpected) =>
        log.error("unhandled error", {
          request_id: ctx.requestId,
          error: describeError(unexpected),
        }));
    } finally {
      // A streamed body outlives the handler; it stops on its own cancel and on `stopping`.
      inFlight.delete(controller);
      request.signal.removeEventListener("abort", onClientGone);
    }
    response = withHeaders(response, {
      "X-Request-ID": ctx.requestId,
      ...corsHeaders(request.headers.get("origin"), config.corsOrigins),
    });
    const fields: RequestLogFields = {
      request_id: ctx.requestId,
      method: request.method,
      path,
      status: response.status,
      duration_ms: 0,
      model: ctx.trace.model,
      upstream_attempts: ctx.trace.upstreamAttempts,
      stream: undefined,
      ttfb_ms: undefined,
    };
    if (request.method === "HEAD") {
      logRequest(log, fields, started);
      // The body is not sent, so it is not read either (a file download would otherwise run).
      await response.body?.cancel();
      return new Response(null, response);
    }
    const streamEnd = ctx.trace.streamEnd;
    // A stream's log line is written when it ends, so it tells how it ended and how long it ran.
    if (streamEnd !== undefined) logWhenStreamEnds(log, fields, started, streamEnd);
    else logRequest(log, fields, started);
    return response;
  }

  function route(request: Request, path: string, ctx: RequestContext): Promise<Response> {
    if (request.method === "OPTIONS") {
      return Promise.resolve(preflightResponse(request, config.corsOrigins));
    }
    const match = router.match(request.method, path);
    switch (match.kind) {
      case "found":
        return match.handler(request, { ...ctx, params: match.params });
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
    handler,
    log,
    abortInFlight: () => {
      stopping.abort(shuttingDown());
      for (const controller of inFlight) controller.abort(shuttingDown());
    },
    close: () => httpClient?.close(),
  };
}

/** The fields of a request's log line (a type, so that it is a LogFields record). */
type RequestLogFields = {
  request_id: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  model: string | undefined;
  upstream_attempts: number;
  stream: StreamOutcome | undefined;
  ttfb_ms: number | undefined;
};

function logRequest(log: Logger, fields: RequestLogFields, started: number): void {
  fields.duration_ms = elapsed(started);
  log.info("request", fields);
}

/**
 * Writes a stream's log line when it ends. Kept out of the handler, so that what waits for the
 * end holds only these fields, not the handler's request, response and controller.
 */
function logWhenStreamEnds(
  log: Logger,
  fields: RequestLogFields,
  started: number,
  streamEnd: Promise<StreamOutcome>,
): void {
  fields.ttfb_ms = elapsed(started);
  streamEnd.then((outcome) => {
    fields.stream = outcome;
    logRequest(log, fields, started);
  });
}

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 100) / 100;
}

/** Adds headers, copying the response first when its headers are immutable (fetch results). */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  try {
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
    return copy;
  }
}
