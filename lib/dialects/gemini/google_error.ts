import type { GatewayError } from "../../errors.ts";

/** Google's error body: `{"error":{"code","message","status","details"?}}`. */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: Record<string, unknown>[] };
}

/** google.rpc status names by the HTTP status Google answers them with. */
const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  408: "DEADLINE_EXCEEDED",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/**
 * A gateway error in Google's terms. GigaChat down or answering nonsense (502) is Google's 503
 * UNAVAILABLE, which its clients retry; a request too large is a 400 as Google gives it. A
 * used-up GigaChat balance is RESOURCE_EXHAUSTED with a QuotaFailure of a daily quota: Gemini
 * CLI reads that as a quota to stop on, not one to retry ten times.
 */
export function toGoogleError(error: GatewayError): GoogleErrorBody & { status: number } {
  const status = error.status === 502
    ? 503
    : error.status === 413 || error.status === 405 || error.status === 422
    ? 400
    : error.type === "insufficient_quota"
    ? 429
    : error.status;
  const name = STATUS_NAMES[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION");
  const details: Record<string, unknown>[] = [];
  if (error.code !== null) {
    details.push({
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: error.code.toUpperCase(),
      domain: "gigachat-gateway",
    });
  }
  if (error.type === "insufficient_quota") {
    details.push({
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [{ quotaId: "GigaChatBalancePerDay", description: error.message }],
    });
  }
  const retryAfter = secondsOf(error.headers["Retry-After"] ?? error.headers["retry-after"]);
  if (status === 429 && Number.isFinite(retryAfter) && retryAfter >= 0) {
    details.push({
      "@type": "type.googleapis.com/google.rpc.RetryInfo",
      retryDelay: `${Math.ceil(retryAfter)}s`,
    });
  }
  return {
    status,
    error: {
      code: status,
      message: error.message,
      status: name,
      ...(details.length > 0 ? { details } : {}),
    },
  };
}

/** A Retry-After in seconds, from seconds or an HTTP date; NaN when there is none. */
function secondsOf(value: string | undefined): number {
  if (value === undefined) return NaN;
  const seconds = Number(value);
  if (value.trim() !== "" && Number.isFinite(seconds)) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? NaN : Math.max(0, (date - Date.now()) / 1000);
}

/** The HTTP response for `error` on a Gemini route, with its Retry-After, if any. */
export function googleErrorResponse(error: GatewayError): Response {
  const { status, ...body } = toGoogleError(error);
  return Response.json(body, { status, headers: { ...error.headers } });
}
