import type { RequestContext } from "../context.ts";
import type { UpstreamCall } from "../gigachat/upstream_client.ts";

/** The fields every upstream call of a request shares: its id, passed headers, signal, trace. */
export type CallFields = Pick<UpstreamCall, "requestId" | "forwardHeaders" | "signal" | "trace">;

/** The request's {@linkcode CallFields}. */
export function callFields(ctx: RequestContext): Required<CallFields> {
  return {
    requestId: ctx.requestId,
    forwardHeaders: ctx.forwardHeaders,
    signal: ctx.signal,
    trace: ctx.trace,
  };
}
