import type { RequestContext } from "../context.ts";
import type { CallFields } from "../gigachat/upstream_client.ts";

/** The request's {@linkcode CallFields}. */
export function callFields(ctx: RequestContext): Required<CallFields> {
  return {
    requestId: ctx.requestId,
    forwardHeaders: ctx.forwardHeaders,
    signal: ctx.signal,
    trace: ctx.trace,
  };
}
