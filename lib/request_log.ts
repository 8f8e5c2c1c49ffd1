import type { StreamOutcome } from "./http/sse_transport.ts";
import type { Logger } from "./log.ts";

/** The fields of a request's log line (a type, so that it is a LogFields record). */
export type RequestLogFields = {
  request_id: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  model: string | undefined;
  backend: string | undefined;
  /** The GIGACHAT_POOL credential that served it, by name. */
  credential?: string;
  upstream_attempts: number;
  stream: StreamOutcome | undefined;
  ttfb_ms: number | undefined;
  /** The error's code (`invalid_api_key`, `queue_timeout`, ...) when the request failed. */
  error_code: string | undefined;
  /** The name of the key (made through the admin API) that sent it. */
  tenant: string | undefined;
};

/** Writes the request's one log line. */
export function logRequest(log: Logger, fields: RequestLogFields, started: number): void {
  fields.duration_ms = elapsed(started);
  log.info("request", fields);
}

/**
 * Writes a stream's log line when it ends. Kept out of the handler, so that what waits for the
 * end holds only these fields, not the handler's request, response and controller.
 */
export function logWhenStreamEnds(
  log: Logger,
  fields: RequestLogFields,
  started: number,
  streamEnd: Promise<StreamOutcome>,
  onLogged: () => void,
): void {
  fields.ttfb_ms = elapsed(started);
  streamEnd.then((outcome) => {
    fields.stream = outcome;
    logRequest(log, fields, started);
    onLogged();
  });
}

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 100) / 100;
}
