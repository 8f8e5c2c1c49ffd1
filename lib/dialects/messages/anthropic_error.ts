import type { GatewayError } from "../../errors.ts";

/** Anthropic's error types. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "billing_error"
  | "timeout_error"
  | "api_error"
  | "overloaded_error";

/** Anthropic's error body: `{"type":"error","error":{"type","message"},"request_id"}`. */
export interface AnthropicErrorBody {
  type: "error";
  error: { type: AnthropicErrorType; message: string };
  request_id?: string | null;
}

/**
 * A gateway error in Anthropic's terms: its body and HTTP status, with the types Anthropic
 * documents per status. GigaChat being down or unreachable (502, 503) is Anthropic's 529
 * overloaded_error, which its clients retry; an answer GigaChat got wrong is not that.
 */
export function toAnthropicError(
  error: GatewayError,
): AnthropicErrorBody & { status: number } {
  const status = error.status;
  const [type, code]: [AnthropicErrorType, number] = error.type === "insufficient_quota"
    ? ["billing_error", 402]
    : status === 401
    ? ["authentication_error", 401]
    : status === 403
    ? ["permission_error", 403]
    : status === 404
    ? ["not_found_error", 404]
    : status === 413
    ? ["request_too_large", 413]
    : status === 429
    ? ["rate_limit_error", 429]
    : status === 504
    ? ["timeout_error", 504]
    : (status === 502 || status === 503) && error.retryable &&
        error.code !== "upstream_invalid_answer"
    ? ["overloaded_error", 529]
    : status >= 500
    ? ["api_error", status]
    : ["invalid_request_error", status];
  return { type: "error", error: { type, message: error.message }, status: code };
}

/**
 * The HTTP response for `error` on an Anthropic route (with its Retry-After, if any), carrying
 * the request's id in its body as Anthropic's do.
 */
export function anthropicErrorResponse(error: GatewayError, requestId?: string): Response {
  const { status, ...rest } = toAnthropicError(error);
  const body: AnthropicErrorBody = { ...rest, request_id: requestId ?? null };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(error.headers)) headers[name.toLowerCase()] = value;
  // x-should-retry is what the Anthropic SDKs obey too.
  if (!error.retryable) headers["x-should-retry"] = "false";
  return Response.json(body, { status, headers });
}
