import { GatewayError } from "../errors.ts";

/** Which GigaChat endpoint answered: the OAuth server or the API. */
export type UpstreamSource = "oauth" | "api";

export interface UpstreamFailure {
  status: number;
  /** GigaChat's own message (`{"status","message"}` on the API, `{"code","message"}` on OAuth). */
  message: string | undefined;
  /** OAuth error code, when the OAuth server sent one. */
  code: number | undefined;
  retryAfter: string | null;
  attempts: number;
}

const MAX_ERROR_BODY_CHARS = 8000;

/** Reads a failed upstream response's body (bounded) into an {@linkcode UpstreamFailure}. */
export async function readUpstreamFailure(
  response: Response,
  attempts: number,
): Promise<UpstreamFailure> {
  let text = "";
  try {
    text = (await response.text()).slice(0, MAX_ERROR_BODY_CHARS);
  } catch {
    // A body cut off mid-way still leaves the status to go on.
  }
  let message: string | undefined;
  let code: number | undefined;
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === "object" && body !== null) {
      const record = body as Record<string, unknown>;
      if (typeof record.message === "string") message = record.message;
      if (typeof record.code === "number") code = record.code;
    }
  } catch {
    // Plain text is GigaChat's (or a proxy's) message; HTML pages and cut-off JSON are not.
    const trimmed = text.trim();
    message = trimmed === "" || /^[<{[]/.test(trimmed) ? undefined : trimmed.slice(0, 500);
  }
  return {
    status: response.status,
    message,
    code,
    retryAfter: response.headers.get("retry-after"),
    attempts,
  };
}

/** The model a call was for: the client's name and the one GigaChat got (after aliases). */
export interface CalledModel {
  requested: string;
  upstream: string;
}

/**
 * The one place GigaChat failures become OpenAI errors (issue #2's mapping table). `model`
 * names the model in a "No such model" answer, which GigaChat does not.
 */
export function mapUpstreamFailure(
  failure: UpstreamFailure,
  source: UpstreamSource,
  model?: CalledModel,
): GatewayError {
  const said = failure.message ? `: ${failure.message}` : "";
  const { status } = failure;
  if (source === "oauth" && status >= 400 && status < 500 && status !== 429) {
    // OAuth refusals (bad key, bad scope, malformed RqUID) all mean the key cannot be used.
    const scopeHint = failure.code === 7 || /scope/i.test(failure.message ?? "")
      ? " Check GIGACHAT_DEFAULT_SCOPE (PERS, B2B or CORP) matches the key."
      : " Check the authorization key (base64 of client_id:client_secret).";
    return new GatewayError(
      401,
      `GigaChat did not accept the authorization key (HTTP ${status}${said}).${scopeHint}`,
      { type: "authentication_error", code: "invalid_api_key" },
    );
  }
  switch (status) {
    case 400:
    case 422:
      return new GatewayError(400, `GigaChat rejected the request${said}`, {
        type: "invalid_request_error",
        code: status === 422 ? "unprocessable_entity" : null,
      });
    case 401:
      return new GatewayError(401, `GigaChat refused the access token${said}`, {
        type: "authentication_error",
        code: "invalid_api_key",
      });
    case 402:
      // OpenAI's answer for an exhausted balance, which its clients show as such; waiting
      // does not refill it, so no retry either.
      return new GatewayError(
        429,
        `The GigaChat balance of this key is used up${said}. Top it up in the Sber developer ` +
          "cabinet.",
        { type: "insufficient_quota", code: "insufficient_quota", retryable: false },
      );
    case 403:
      return new GatewayError(403, `GigaChat refused access${said}`, {
        type: "permission_error",
        code: "permission_denied",
      });
    case 404:
      if (/no such model/i.test(failure.message ?? "")) {
        return new GatewayError(404, unknownModelMessage(model, failure.message), {
          type: "invalid_request_error",
          code: "model_not_found",
          param: "model",
        });
      }
      return new GatewayError(404, `GigaChat found no such resource${said}`, {
        type: "not_found_error",
        code: "not_found",
      });
    case 413:
      return new GatewayError(413, `The request is too large for GigaChat${said}`, {
        type: "invalid_request_error",
        code: "request_too_large",
      });
    case 429:
      return new GatewayError(
        429,
        `GigaChat rate limit reached after ${failure.attempts} attempt(s)${said}`,
        {
          type: "rate_limit_error",
          code: "rate_limit_exceeded",
          headers: failure.retryAfter ? { "Retry-After": failure.retryAfter } : undefined,
        },
      );
    default:
      if (status >= 400 && status < 500) {
        return new GatewayError(400, `GigaChat rejected the request (HTTP ${status}${said})`, {
          type: "invalid_request_error",
        });
      }
      return new GatewayError(
        502,
        `GigaChat failed (HTTP ${status}${said}) after ${failure.attempts} attempt(s)`,
        { type: "server_error", code: "upstream_error" },
      );
  }
}

function unknownModelMessage(model: CalledModel | undefined, said: string | undefined): string {
  const gigachat = said ? ` (GigaChat: ${said})` : "";
  if (model === undefined) return `The model does not exist or is not available${gigachat}.`;
  const name = model.requested === model.upstream
    ? `'${model.requested}'`
    : `'${model.requested}' (sent to GigaChat as '${model.upstream}')`;
  return `The model ${name} does not exist or is not available to this key${gigachat}. ` +
    "GET /v1/models lists the models it can use; MODEL_ALIASES maps other names to them." +
    (isOlderName(model.upstream)
      ? ` '${model.upstream}' is one of the older names served only by the old host ` +
        "(https://gigachat.devices.sberbank.ru/api/v1, for keys created before 2026-07-17); on " +
        "api.giga.chat use a GigaChat-2 or GigaChat-3 name, e.g. GigaChat-2-Max."
      : "");
}

/** Names reported to exist only on the old host (HOSTS-AND-MODELS.md §Models). */
function isOlderName(model: string): boolean {
  return /^GigaChat(-Pro|-Max|-Plus)?$/.test(model) || /-preview$/.test(model);
}

/** 502 for an answer that is not what GigaChat's API says it sends. */
export function unexpectedAnswer(what: string, cause?: unknown): GatewayError {
  return new GatewayError(502, `GigaChat sent an unexpected ${what}`, {
    type: "server_error",
    code: "upstream_invalid_answer",
    cause,
  });
}

/** 502 for a stream that broke its own format after the first byte. */
export function upstreamStreamError(message: string): GatewayError {
  return new GatewayError(502, message, { type: "server_error", code: "upstream_stream_error" });
}

/** 502 for a request that never got an answer: refused, reset, DNS or TLS failure. */
export function mapNetworkFailure(error: unknown, host: string, attempts: number): GatewayError {
  const detail = networkDetail(error);
  // Not a bare "TLS": a reset mid-handshake says "TLS close_notify" and deserves a retry.
  const tls = /certificate|UnknownIssuer|handshake failure/i.test(detail);
  const message = tls
    ? `The TLS certificate of ${host} is not trusted (${detail}). The gateway trusts the ` +
      "Russian Trusted Root CA; for another CA set GIGACHAT_CA_FILE to its PEM file."
    : `Could not reach GigaChat at ${host} after ${attempts} attempt(s) (${detail})`;
  return new GatewayError(502, message, {
    type: "server_error",
    code: tls ? "upstream_tls_error" : "upstream_unreachable",
    cause: error,
    // An untrusted certificate stays untrusted: only a setting can change that.
    retryable: !tls,
  });
}

/** 504 for an upstream that did not answer in time. */
export function timeoutError(host: string, timeoutMs: number): GatewayError {
  return new GatewayError(504, `GigaChat at ${host} did not answer within ${timeoutMs} ms`, {
    type: "server_error",
    code: "timeout",
  });
}

function networkDetail(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 4; e = e.cause) {
    parts.push(e.message);
  }
  // Deno nests the useful reason ("invalid peer certificate: UnknownIssuer") in the cause chain.
  return (parts.at(-1) ?? String(error)).slice(0, 300);
}
