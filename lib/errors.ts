/** OpenAI error `type` values the gateway answers with. */
export type OpenAIErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "insufficient_quota"
  | "server_error";

/** The body OpenAI clients parse: `{"error":{"message","type","param","code"}}`. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: OpenAIErrorType;
    param: string | null;
    code: string | null;
  };
}

export interface GatewayErrorOptions {
  type: OpenAIErrorType;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
  cause?: unknown;
  /**
   * Whether sending the same request again may succeed. By default: 408, 409, 429 and 5xx (the
   * statuses OpenAI's SDKs retry). Set false for a 5xx that a retry would only repeat.
   */
  retryable?: boolean;
}

/** An error that knows its HTTP status and OpenAI body; every failure becomes one of these. */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly retryable: boolean;

  constructor(status: number, message: string, options: GatewayErrorOptions) {
    super(message, { cause: options.cause });
    this.status = status;
    this.type = options.type;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.retryable = options.retryable ??
      (status === 408 || status === 409 || status === 429 || status >= 500);
  }

  /** This error again with `changes`: its message, param or cause replaced, headers added. */
  with(
    changes: {
      message?: string;
      param?: string;
      headers?: Record<string, string>;
      cause?: unknown;
    },
  ): GatewayError {
    return new GatewayError(this.status, changes.message ?? this.message, {
      type: this.type,
      code: this.code,
      param: changes.param ?? this.param,
      headers: { ...this.headers, ...changes.headers },
      retryable: this.retryable,
      cause: "cause" in changes ? changes.cause : this.cause,
    });
  }

  /** The OpenAI-shaped JSON body. */
  toBody(): OpenAIErrorBody {
    return {
      error: { message: this.message, type: this.type, param: this.param, code: this.code },
    };
  }

  /**
   * The HTTP response for this error. One that a retry cannot fix says so with
   * `x-should-retry: false`, which OpenAI's SDKs obey: otherwise they send a failed structured
   * answer twice more, each costing GigaChat completions.
   */
  toResponse(): Response {
    const headers = this.retryable ? this.headers : { ...this.headers, "x-should-retry": "false" };
    return Response.json(this.toBody(), { status: this.status, headers });
  }
}

/** 400 for a request the client must change; `param` names the field. */
export function invalidRequest(message: string, param?: string, code?: string): GatewayError {
  return new GatewayError(400, message, { type: "invalid_request_error", param, code });
}

/** 401 with the hint every auth failure needs. */
export function authenticationError(message: string, code = "invalid_api_key"): GatewayError {
  return new GatewayError(401, message, { type: "authentication_error", code });
}

/** 499: the client went away; nobody reads this response, but the log line says what happened. */
export function clientClosed(reason?: unknown): GatewayError {
  return new GatewayError(499, "The client closed the request", {
    type: "invalid_request_error",
    code: "client_closed_request",
    cause: reason,
  });
}

/**
 * 500 for a gateway whose own GigaChat key (server-side mode) GigaChat refuses: a 401 would
 * send clients to check a key that is fine.
 */
export function gatewayKeyRefused(
  cause: unknown,
  setting = "GIGACHAT_CREDENTIALS",
): GatewayError {
  return new GatewayError(
    500,
    `The gateway's own GigaChat key (${setting}) was refused by GigaChat; your key is ` +
      "fine. The gateway's operator must fix its configuration (see its log).",
    { type: "server_error", code: "gateway_misconfigured", retryable: false, cause },
  );
}

/** 503 for work the gateway ended because it is shutting down. */
export function shuttingDown(): GatewayError {
  return new GatewayError(503, "The gateway is shutting down; send the request again.", {
    type: "server_error",
    code: "shutting_down",
  });
}

/**
 * Turns anything thrown into a response. A {@linkcode GatewayError} speaks for itself, in the
 * shape `render` gives it (the dialect's; OpenAI's by default); anything else is a bug,
 * reported once through `report` and answered as an opaque 500.
 */
export function toErrorResponse(
  error: unknown,
  report: (error: unknown) => void,
  render: (error: GatewayError) => Response = (known) => known.toResponse(),
): Response {
  if (error instanceof GatewayError) return render(error);
  report(error);
  return render(
    new GatewayError(500, "The gateway failed unexpectedly; see its log for details.", {
      type: "server_error",
      code: "internal_error",
      retryable: false,
    }),
  );
}
