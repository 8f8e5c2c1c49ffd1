import { clientClosed, GatewayError } from "../errors.ts";
import { NAME, VERSION } from "../version.ts";
import type { Credential } from "./credential.ts";
import {
  type AccessToken,
  buildOAuthRequest,
  buildPasswordRequest,
  parseAccessToken,
} from "./oauth.ts";

/** How long a ready access token (GIGACHAT_ACCESS_TOKEN) is kept between checks: a day. */
const READY_TOKEN_MS = 86_400_000;
import { isRetryableStatus, parseRetryAfterMs, retryDelayMs } from "./retry_policy.ts";
import type { RetryPolicy } from "./retry_policy.ts";
import { Deadlines } from "../deadlines.ts";
import { readLimited } from "../io/read_limited.ts";
import { TokenManager } from "./token_manager.ts";
import type { GatewayMetrics } from "../metrics.ts";
import {
  type CalledModel,
  mapNetworkFailure,
  mapUpstreamFailure,
  readUpstreamFailure,
  timeoutError,
  unexpectedAnswer,
  type UpstreamSource,
} from "./upstream_error.ts";

/** Sends one request; production binds it to the Deno.HttpClient that trusts the Russian CAs. */
export type Fetcher = (input: string | Request, init: FetchInit) => Promise<Response>;

/** fetch's options, with the connections (a pool member's client certificate) to use. */
export type FetchInit = RequestInit & { client?: Deno.HttpClient };

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
  /** Counts attempts, retries, OAuth exchanges and token cache lookups. */
  metrics?: GatewayMetrics;
  /**
   * Told how each call for a credential ended (`failure` undefined: answered), so a pool of
   * credentials can cool down or take out one GigaChat refuses.
   */
  onOutcome?: (credential: Credential, failure: GatewayError | undefined) => void;
}

/** One call to the GigaChat API, relative to GIGACHAT_API_URL. */
export interface UpstreamCall {
  method: "GET" | "POST";
  path: string;
  /** A whole address instead of GIGACHAT_API_URL + `path` (the v2 chat endpoint). */
  url?: string;
  json?: unknown;
  /**
   * A form body. A Blob can be sent again; a stream (an upload passed straight through) can be
   * sent once only, so such a call is never retried and gets no second try after a 401.
   */
  upload?: { body: ReadableStream<Uint8Array> | Blob; contentType: string };
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
  /** The model the call is for, named in a "No such model" error. */
  model?: CalledModel;
  /** False: GigaChat's 429 is not retried on this credential (a pool has others to try). */
  retryRateLimits?: boolean;
}

/** The fields every upstream call of one client request shares. */
export type CallFields = Pick<UpstreamCall, "requestId" | "forwardHeaders" | "signal" | "trace">;

interface SendOptions {
  source: UpstreamSource;
  /** The API host, when the call goes elsewhere than GIGACHAT_API_URL's. */
  host?: string;
  promptHeaders: boolean;
  trace: UpstreamTrace;
  /** The body cannot be sent again: one attempt only. */
  once?: boolean;
  /** GigaChat's 429 is returned at once, not retried. */
  noRateLimitRetry?: boolean;
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
  readonly #deadlines: Deadlines;

  constructor(options: UpstreamClientOptions) {
    this.#o = options;
    this.#deadlines = new Deadlines(options.requestTimeoutMs);
    this.#sleep = options.sleep ?? sleep;
    this.#apiHost = new URL(options.apiUrl).host;
    this.#authHost = new URL(options.authUrl).host;
    this.#tokens = new TokenManager({
      refreshBufferMs: options.tokenRefreshBufferMs,
      maxEntries: options.tokenCacheSize,
      requestToken: (credential, trace) => this.#requestToken(credential, trace),
      onLookup: options.metrics && ((hit) => options.metrics!.cacheLookup("tokens", hit)),
    });
  }

  /** Whether `credential` has an access token at hand, so `authorize` asks GigaChat nothing. */
  hasToken(credential: Credential): boolean {
    return this.#tokens.has(credential);
  }

  /**
   * Makes sure `credential` has an access token, exchanging the key for one if needed, so a key
   * GigaChat refuses is refused before anything is done on its behalf. @throws {GatewayError}
   */
  async authorize(
    credential: Credential,
    signal?: AbortSignal,
    trace?: UpstreamTrace,
  ): Promise<void> {
    try {
      await this.#tokens.get(credential, signal, trace);
    } catch (error) {
      if (signal?.aborted && !(error instanceof GatewayError)) throw clientClosed(signal.reason);
      if (error instanceof GatewayError) this.#o.onOutcome?.(credential, error);
      throw error;
    }
  }

  /**
   * Sends `call` and returns GigaChat's successful response. The whole-call deadline covers
   * the wait for headers; a streamed body is then guarded by its reader (the chat route's idle
   * timeout), and ends when the client leaves because the body is cancelled with it.
   * @throws {GatewayError}
   */
  async request(call: UpstreamCall): Promise<Response> {
    const guard = new CallGuard(call.signal, this.#deadlines);
    try {
      return await this.#request(call, guard);
    } finally {
      guard.release();
    }
  }

  /** {@linkcode request}, then the parsed JSON body, all within the deadline. @throws {GatewayError} */
  async requestJson<T>(call: UpstreamCall): Promise<T> {
    const guard = new CallGuard(call.signal, this.#deadlines);
    try {
      const response = await this.#request(call, guard);
      try {
        return await readJson(response) as T;
      } catch (error) {
        throw guard.failure(this.#apiHost, this.#o.requestTimeoutMs) ??
          unexpectedAnswer(`${call.path} response (not JSON)`, error);
      }
    } finally {
      guard.release();
    }
  }

  async #request(call: UpstreamCall, guard: CallGuard): Promise<Response> {
    // The request's count (its log line) takes every attempt, OAuth's included; this call's
    // own count is the one its error message reports.
    const trace = call.trace ?? { upstreamAttempts: 0 };
    const attempts = { upstreamAttempts: 0 };
    const body = call.upload?.body ??
      (call.json === undefined ? undefined : JSON.stringify(call.json));
    const options: SendOptions = {
      source: "api",
      host: call.url === undefined ? undefined : new URL(call.url).host,
      promptHeaders: call.stream === true || call.method === "GET",
      trace: attempts,
      once: call.upload?.body instanceof ReadableStream,
      noRateLimitRetry: call.retryRateLimits === false,
    };
    try {
      let token = await this.#tokens.get(call.credential, call.signal, trace);
      const send = () => this.#send(() => this.#apiRequest(call, body, token), options, guard);
      let response = await send();
      if (response.status === 401) {
        // Tokens can be revoked before expires_at: drop it whatever happens next, then (when
        // the body can be sent again) one fresh token and one more try (§1.1).
        this.#tokens.invalidate(call.credential, token);
        if (!options.once) {
          await response.body?.cancel();
          token = await this.#tokens.get(call.credential, call.signal, trace);
          response = await send();
        }
      }
      if (!response.ok) {
        throw mapUpstreamFailure(
          await readUpstreamFailure(response, attempts.upstreamAttempts),
          "api",
          call.model,
        );
      }
      this.#o.onOutcome?.(call.credential, undefined);
      return response;
    } catch (error) {
      if (call.signal?.aborted && !(error instanceof GatewayError)) {
        throw clientClosed(call.signal.reason);
      }
      if (error instanceof GatewayError) this.#o.onOutcome?.(call.credential, error);
      throw error;
    } finally {
      trace.upstreamAttempts += attempts.upstreamAttempts;
    }
  }

  async #requestToken(credential: Credential, trace: UpstreamTrace): Promise<AccessToken> {
    // A ready access token is what it is; when GigaChat refuses it, the call fails as refused.
    if (credential.kind === "token" || credential.kind === "certificate") {
      return { token: credential.key, expiresAt: Date.now() + READY_TOKEN_MS };
    }
    // The exchange is shared by every waiting request, so no single client's signal may stop it.
    const guard = new CallGuard(undefined, this.#deadlines);
    let outcome = "error";
    try {
      const response = await this.#send(
        // Rare (once per token lifetime), so the Request object is fine here.
        () => ({
          url: credential.kind === "password"
            ? buildPasswordRequest(this.#o.apiUrl, credential)
            : buildOAuthRequest(this.#o.authUrl, credential),
          init: credential.httpClient === undefined ? {} : { client: credential.httpClient },
        }),
        { source: "oauth", promptHeaders: true, trace },
        guard,
      );
      if (!response.ok) {
        throw mapUpstreamFailure(
          await readUpstreamFailure(response, trace.upstreamAttempts),
          "oauth",
        );
      }
      const token = parseAccessToken(await response.json().catch(() => undefined));
      if (token === undefined) {
        throw unexpectedAnswer("OAuth response, without an access token");
      }
      outcome = "ok";
      return token;
    } finally {
      this.#o.metrics?.oauthExchanges.add([outcome]);
      guard.release();
    }
  }

  /** The request as plain fetch arguments: built once, no Request or Headers objects to copy. */
  #apiRequest(
    call: UpstreamCall,
    body: string | ReadableStream<Uint8Array> | Blob | undefined,
    token: string,
  ): UpstreamRequest {
    const headers: Record<string, string> = {
      ...call.forwardHeaders,
      "X-Request-ID": call.requestId,
      "Accept": call.accept ?? (call.stream ? "text/event-stream" : "application/json"),
      "User-Agent": USER_AGENT,
    };
    // A client certificate alone (mutual TLS) needs no token.
    if (token !== "") headers["Authorization"] = `Bearer ${token}`;
    if (call.upload) headers["Content-Type"] = call.upload.contentType;
    else if (body !== undefined) headers["Content-Type"] = "application/json";
    const url = call.url ?? `${this.#o.apiUrl}${call.path}`;
    const client = call.credential.httpClient;
    const init: FetchInit = { method: call.method, headers, body };
    if (client !== undefined) init.client = client;
    return { url, init };
  }

  /** The retry loop: returns the last response (maybe a failure) or throws a GatewayError. */
  async #send(
    makeRequest: () => UpstreamRequest,
    options: SendOptions,
    guard: CallGuard,
  ): Promise<Response> {
    const { requestTimeoutMs, connectTimeoutMs } = this.#o;
    const retry = options.once ? { ...this.#o.retry, maxAttempts: 1 } : this.#o.retry;
    const host = options.source === "oauth" ? this.#authHost : options.host ?? this.#apiHost;
    const metrics = this.#o.metrics;
    for (let attempt = 1;; attempt++) {
      options.trace.upstreamAttempts++;
      metrics?.upstreamAttempts.add([options.source]);
      const attemptControl = guard.next();
      let headersLate = false;
      const timer = options.promptHeaders
        ? setTimeout(() => {
          headersLate = true;
          attemptControl.abort();
        }, connectTimeoutMs)
        : undefined;
      let response: Response;
      try {
        const { url, init } = makeRequest();
        response = await this.#o.fetch(url, { ...init, signal: attemptControl.signal });
      } catch (error) {
        const stopped = guard.failure(host, requestTimeoutMs);
        if (stopped !== undefined) throw stopped;
        const failure = headersLate
          ? timeoutError(host, connectTimeoutMs)
          : mapNetworkFailure(error, host, attempt);
        // A certificate that is not trusted now will not be trusted in a second either.
        if (attempt >= retry.maxAttempts || !failure.retryable) throw failure;
        metrics?.upstreamRetries.add([options.source, headersLate ? "timeout" : "network"]);
        await this.#wait(retryDelayMs(attempt, retry) ?? 0, guard, host);
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (
        !isRetryableStatus(response.status) || attempt >= retry.maxAttempts ||
        (response.status === 429 && options.noRateLimitRetry)
      ) {
        return response;
      }
      const delay = retryDelayMs(attempt, retry, {
        retryAfterMs: parseRetryAfterMs(response.headers.get("retry-after")),
      });
      if (delay === undefined) return response;
      metrics?.upstreamRetries.add([options.source, String(response.status)]);
      await response.body?.cancel();
      await this.#wait(delay, guard, host);
    }
  }

  async #wait(ms: number, guard: CallGuard, host: string) {
    try {
      await this.#sleep(ms, guard.next().signal);
    } catch (error) {
      throw guard.failure(host, this.#o.requestTimeoutMs) ?? error;
    }
  }
}

/** Plain fetch arguments for one attempt. */
interface UpstreamRequest {
  url: string | Request;
  init: FetchInit;
}

const USER_AGENT = `${NAME}/${VERSION}`;

/**
 * One call's cancellation: the client leaving, or the whole-call deadline. One deadline (on the
 * client's shared queue) and one listener per call, each attempt (or wait) on its own
 * controller; AbortSignal.timeout and AbortSignal.any would instead keep chains of signals alive
 * until the deadline passes.
 */
class CallGuard {
  #current: AbortController | undefined;
  #reason: "client" | "deadline" | undefined;
  readonly #cancelDeadline: () => void;
  readonly #client: AbortSignal | undefined;
  readonly #onClient = () => this.#stop("client");

  constructor(client: AbortSignal | undefined, deadlines: Deadlines) {
    this.#client = client;
    this.#cancelDeadline = deadlines.add(() => this.#stop("deadline"));
    if (client?.aborted) this.#reason = "client";
    else client?.addEventListener("abort", this.#onClient, { once: true });
  }

  /** A controller for the next attempt or wait, aborted at once if the call is already over. */
  next(): AbortController {
    const controller = new AbortController();
    this.#current = controller;
    if (this.#reason !== undefined) controller.abort();
    return controller;
  }

  /** The error for a call that was stopped (client gone, deadline passed), if it was. */
  failure(host: string, deadlineMs: number): GatewayError | undefined {
    if (this.#reason === "client") return clientClosed(this.#client?.reason);
    if (this.#reason === "deadline") return timeoutError(host, deadlineMs);
    return undefined;
  }

  /** Ends the guard: the deadline no longer applies and the client's signal is let go. */
  release(): void {
    this.#cancelDeadline();
    this.#client?.removeEventListener("abort", this.#onClient);
  }

  #stop(reason: "client" | "deadline"): void {
    this.#reason ??= reason;
    this.#current?.abort();
  }
}

const UTF8 = new TextDecoder();

/** A response's JSON body, read into one buffer sized by its Content-Length. */
async function readJson(response: Response): Promise<unknown> {
  if (response.body === null) throw new SyntaxError("no body");
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  const bytes = await readLimited(response.body, Infinity, declared);
  return JSON.parse(UTF8.decode(bytes));
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
