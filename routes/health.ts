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
