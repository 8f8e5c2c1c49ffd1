// The gateway's own facts on the spans Deno's built-in OpenTelemetry makes (OTEL_DENO=true):
// Deno traces Deno.serve and fetch by itself; this adds request id, route, dialect, model,
// backend, attempts and token counts to each request's server span. Never content or keys.

/** What the gateway needs of a span. */
export interface SpanLike {
  setAttributes(attributes: Record<string, string | number>): void;
}

let activeSpan: () => SpanLike | undefined = () => undefined;

/**
 * Loads the OpenTelemetry API (only then: it costs memory) so that {@linkcode currentSpan}
 * finds the span Deno made for the request being handled.
 */
export async function enableTracing(): Promise<void> {
  const { trace } = await import("@opentelemetry/api");
  activeSpan = () => trace.getActiveSpan();
}

/** The span of the request being handled, when tracing is on. */
export function currentSpan(): SpanLike | undefined {
  return activeSpan();
}
