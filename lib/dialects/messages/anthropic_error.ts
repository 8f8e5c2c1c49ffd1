import type { GatewayError } from "../../errors.ts";

/** Anthropic's error types. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

/** Anthropic's error body: `{"type":"error","error":{"type","message"}}`. */
export interface AnthropicErrorBody {
  type: "error";
  error: { type: AnthropicErrorType; message: string };
}

/**
 * A gateway error in Anthropic's terms: its body and HTTP status. GigaChat being down or
 * unreachable (502, 503) is Anthropic's 529 overloaded_error, which its clients retry.
 */
export function toAnthropicError(
  error: GatewayError,
): AnthropicErrorBody & { status: number } {
  const status = error.status;
  const [type, code]: [AnthropicErrorType, number] = status === 401
    ? ["authentication_error", 401]
    : status === 403
    ? ["permission_error", 403]
    : status === 404
    ? ["not_found_error", 404]
    : status === 413
    ? ["request_too_large", 413]
    : status === 429
    ? ["rate_limit_error", 429]
    : (status === 502 || status === 503) && error.retryable
    ? ["overloaded_error", 529]
    : status >= 500
    ? ["api_error", status]
    : ["invalid_request_error", status];
  return { type: "error", error: { type, message: error.message }, status: code };
}

/** The HTTP response for `error` on an Anthropic route (with its Retry-After, if any). */
export function anthropicErrorResponse(error: GatewayError): Response {
  const { status, ...body } = toAnthropicError(error);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(error.headers)) headers[name.toLowerCase()] = value;
  // x-should-retry is what the Anthropic SDKs obey too.
  if (!error.retryable) headers["x-should-retry"] = "false";
  return Response.json(body, { status, headers });
}
