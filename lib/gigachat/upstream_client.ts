import { clientClosed, GatewayError } from "../errors.ts";
import { NAME, VERSION } from "../version.ts";
import type { Credential } from "./credential.ts";
import { type AccessToken, buildOAuthRequest, parseAccessToken } from "./oauth.ts";
import { isRetryableStatus, parseRetryAfterMs, retryDelayMs } from "./retry_policy.ts";
import type { RetryPolicy } from "./retry_policy.ts";
import { TokenManager } from "./token_manager.ts";
import {
  mapNetworkFailure,
  mapUpstreamFailure,
  readUpstreamFailure,
  timeoutError,
  type UpstreamSource,
} from "./upstream_error.ts";

/** Sends one request; production binds it to the Deno.HttpClient that trusts the Russian CAs. */
export type Fetcher = (request: Request) => Promise<Response>;

/** Counters a request handler reads for its log line. */
export interface UpstreamTrace {
  upstreamAttempts: number;
}

export interface UpstreamClientOptions {
  apiUrl: string;
  authUrl: string;
  retry: RetryPolicy;
  requestTimeoutMs: number;
  /** Bound on the wait for response headers where GigaChat sends them at once. */
  connectTimeoutMs: number;
  tokenRefreshBufferMs: number;
  tokenCacheSize: number;
  fetch: Fetcher;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** One call to the GigaChat API, relative to GIGACHAT_API_URL. */
export interface UpstreamCall {
  method: "GET" | "POST";
  path: string;
  json?: unknown;
  /**
   * A streamed body (a file upload). It can be sent once only, so such a call is never retried
   * and gets no second try after a 401.
   */
  upload?: { body: ReadableStream<Uint8Array>; contentType: string };
  /** Accept header for non-JSON answers (file contents). */
  accept?: string;
  credential: Credential;
  requestId: string;
  /** X-Session-ID / X-Client-ID passed through from the client. */
  forwardHeaders?: Readonly<Record<string, string>>;
  /** The client's request signal: when the client leaves, the upstream call stops. */
  signal?: AbortSignal;
  /** Ask for SSE; GigaChat then answers headers at once, so the connect timeout applies. */
  stream?: boolean;
  trace?: UpstreamTrace;
}

interface SendOptions {
  source: UpstreamSource;
  signal?: AbortSignal;
  promptHeaders: boolean;
  trace: UpstreamTrace;
  /** The body cannot be sent again: one attempt only. */
  once?: boolean;
}

/**
 * Talks to GigaChat: access tokens, timeouts, retries with backoff, one token refresh on 401,
 * and every failure mapped to a {@linkcode GatewayError}. Retries happen only before a response
 * is returned, so nothing is ever retried once a byte could have reached the client.
 */
export class UpstreamClient {
  readonly #o: UpstreamClientOptions;
  readonly #tokens: TokenManager;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #apiHost: string;
  readonly #authHost: string;

  constructor(options: UpstreamClientOptions) {
    this.#o = options;
    this.#sleep = options.sleep ?? sleep;
    this.#apiHost = new URL(options.apiUrl).host;
    this.#authHost = new URL(options.authUrl).host;
    this.#tokens = new TokenManager({
      refreshBufferMs: options.tokenRefreshBufferMs,
      maxEntries: options.tokenCacheSize,
      requestToken: (credential) => this.#requestToken(credential),
    });
  }

  /** Sends `call` and returns GigaChat's successful response. @throws {GatewayError} */
  async request(call: UpstreamCall): Promise<Response> {
    const trace = call.trace ?? { upstreamAttempts: 0 };
    const body = call.upload?.body ??
      (call.json === undefined ? undefined : JSON.stringify(call.json));
    const options: SendOptions = {
      source: "api",
      signal: call.signal,
      promptHeaders: call.stream === true || call.method === "GET",
      trace,
      once: call.upload !== undefined,
    };
    try {
      let token = await this.#tokens.get(call.credential, call.signal);
      const send = () =>
        this.#send((signal) => this.#apiRequest(call, body, token, signal), options);
      let response = await send();
      if (response.status === 401 && !options.once) {
        // Tokens can be revoked before expires_at; one fresh token and one more try (§1.1).
        await response.body?.cancel();
        this.#tokens.invalidate(call.credential, token);
        token = await this.#tokens.get(call.credential, call.signal);
        response = await send();
      }
      if (!response.ok) {
        throw mapUpstreamFailure(
          await readUpstreamFailure(response, trace.upstreamAttempts),
          "api",
        );
      }
      return response;
    } catch (error) {
      if (call.signal?.aborted && !(error instanceof GatewayError)) {
        throw clientClosed(call.signal.reason);
      }
      throw error;
    }
  }

  /** {@linkcode request}, then the parsed JSON body. @throws {GatewayError} */
  async requestJson<T>(call: UpstreamCall): Promise<T> {
    const response = await this.request(call);
    try {
      return await response.json() as T;
    } catch (error) {
      if (call.signal?.aborted) throw clientClosed(call.signal.reason);
      throw new GatewayError(502, `GigaChat sent an unreadable ${call.path} response`, {
        type: "server_error",
        code: "upstream_error",
        cause: error,
      });
    }
  }

  async #requestToken(credential: Credential): Promise<AccessToken> {
    const trace = { upstreamAttempts: 0 };
    // The exchange is shared by every waiting request, so no single client's signal may stop it.
    const response = await this.#send(
      (signal) => new Request(buildOAuthRequest(this.#o.authUrl, credential), { signal }),
      { source: "oauth", promptHeaders: true, trace },
    );
    if (!response.ok) {
      throw mapUpstreamFailure(
        await readUpstreamFailure(response, trace.upstreamAttempts),
        "oauth",
      );
    }
    const token = parseAccessToken(await response.json().catch(() => undefined));
    if (token === undefined) {
      throw new GatewayError(502, "GigaChat's OAuth server answered without an access token", {
        type: "server_error",
        code: "upstream_error",
      });
    }
    return token;
  }

  #apiRequest(
    call: UpstreamCall,
    body: string | ReadableStream<Uint8Array> | undefined,
    token: string,
    signal: AbortSignal,
  ) {
    const headers = new Headers(call.forwardHeaders);
    headers.set("Authorization", `Bearer ${token}`);
    headers.set("X-Request-ID", call.requestId);
    headers.set("Accept", call.accept ?? (call.stream ? "text/event-stream" : "application/json"));
    headers.set("User-Agent", `${NAME}/${VERSION}`);
    if (call.upload) headers.set("Content-Type", call.upload.contentType);
    else if (body !== undefined) headers.set("Content-Type", "application/json");
    return new Request(`${this.#o.apiUrl}${call.path}`, {
      method: call.method,
      headers,
      body,
      signal,
    });
  }

  /** The retry loop: returns the last response (maybe a failure) or throws a GatewayError. */
  async #send(
    makeRequest: (signal: AbortSignal) => Request,
    options: SendOptions,
  ): Promise<Response> {
    const { requestTimeoutMs, connectTimeoutMs } = this.#o;
    const retry = options.once ? { ...this.#o.retry, maxAttempts: 1 } : this.#o.retry;
    const host = options.source === "oauth" ? this.#authHost : this.#apiHost;
    const deadline = AbortSignal.timeout(requestTimeoutMs);
    const outer = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    for (let attempt = 1;; attempt++) {
      options.trace.upstreamAttempts++;
      const headersDue = new AbortController();
      const timer = options.promptHeaders
        ? setTimeout(() => headersDue.abort(), connectTimeoutMs)
        : undefined;
      let response: Response;
      try {
        response = await this.#o.fetch(makeRequest(AbortSignal.any([outer, headersDue.signal])));
      } catch (error) {
        if (options.signal?.aborted) throw clientClosed(options.signal.reason);
        if (deadline.aborted) throw timeoutError(host, requestTimeoutMs);
        const failure = headersDue.signal.aborted
          ? timeoutError(host, connectTimeoutMs)
          : mapNetworkFailure(error, host, attempt);
        // A certificate that is not trusted now will not be trusted in a second either.
        if (attempt >= retry.maxAttempts || failure.code === "upstream_tls_error") throw failure;
        await this.#wait(retryDelayMs(attempt, retry) ?? 0, outer, options, host);
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (!isRetryableStatus(response.status) || attempt >= retry.maxAttempts) {
        return response;
      }
      const delay = retryDelayMs(attempt, retry, {
        retryAfterMs: parseRetryAfterMs(response.headers.get("retry-after")),
      });
      if (delay === undefined) return response;
      await response.body?.cancel();
      await this.#wait(delay, outer, options, host);
    }
  }

  async #wait(ms: number, outer: AbortSignal, options: SendOptions, host: string) {
    try {
      await this.#sleep(ms, outer);
    } catch (error) {
      if (options.signal?.aborted) throw clientClosed(options.signal.reason);
      if (outer.aborted) throw timeoutError(host, this.#o.requestTimeoutMs);
      throw error;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
