import type { RequestContext, StreamOutcome } from "../context.ts";
import { SSE_HEADERS } from "../http/sse.ts";
import { type SseSource, sseTransport } from "../http/sse_transport.ts";

/**
 * The streamed response of a dialect's SSE source: headers at once, the transport's
 * keep-alives, idle timeout and shutdown handling, and the request's log line written when
 * the stream ends. Set up apart from the route, so the stream's callbacks keep only this
 * scope, not the route's (with the whole GigaChat request in it).
 */
export function streamResponse(
  ctx: RequestContext,
  source: SseSource,
  options: { idle: boolean; headers: Record<string, string> },
): Response {
  const { app, requestId } = ctx;
  let reportEnd: (outcome: StreamOutcome) => void = () => {};
  ctx.trace.streamEnd = new Promise((resolve) => reportEnd = resolve);
  const body = sseTransport(source, {
    keepaliveMs: app.config.streamKeepaliveMs,
    idleTimeoutMs: options.idle ? app.config.streamIdleTimeoutMs : undefined,
    clientTimeoutMs: app.config.streamClientTimeoutMs,
    cutConnection: ctx.cutConnection,
    stopping: app.stopping,
    onFailure: (error) =>
      app.log.warn("stream failed", { request_id: requestId, error: error.message }),
    onEnd: (outcome) => {
      reportEnd(outcome);
      if (outcome === "complete") cutIfUndelivered(ctx, app.config.streamClientTimeoutMs);
    },
  });
  return new Response(body, { headers: { ...SSE_HEADERS, ...options.headers } });
}

/**
 * A stream's last bytes may still wait for a client that stopped reading just as it ended, when
 * the transport's stall clock is gone: its connection is cut if they are not out in `ms`.
 */
function cutIfUndelivered(ctx: RequestContext, ms: number): void {
  const { cutConnection, delivered } = ctx;
  if (cutConnection === undefined || delivered === undefined) return;
  const timer = setTimeout(cutConnection, ms);
  delivered.then(() => clearTimeout(timer), () => clearTimeout(timer));
}
