// A fake GigaChat for tests and `deno task demo`: HTTPS with a throw-away CA, the wire format of
// ../shared/gigachat/ (recorded samples, quirks included) and fault injection. Built on
// node:https because only a raw socket can be reset before the response headers.
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { agentScript, agentTurnV1, agentTurnV2 } from "./agent.ts";
import { answerChat, type ChatScript } from "./chat.ts";
import { answerChatV2, type NamedEvent } from "./chat_v2.ts";
import { v2AsV1 } from "./v2_as_v1.ts";
import { answerEmbeddings } from "./embeddings.ts";
import { FakeFiles } from "./files.ts";
import { createTestTls, type TestTls } from "./test_tls.ts";
import { type FakeHost, NEW_HOST, OLD_HOST } from "./hosts.ts";
import modelsGet404 from "./samples/models_get_404.json" with { type: "json" };
import noSuchModel from "./samples/error_404_no_such_model.json" with { type: "json" };
import scopeEmpty from "./samples/oauth_error_400_scope_empty.json" with { type: "json" };
import scopeMismatch from "./samples/oauth_error_400_scope_mismatch.json" with { type: "json" };

/** The authorization key the fake accepts by default (base64 of "demo-client:demo-secret"). */
export const DEMO_KEY = btoa("demo-client:demo-secret");

/** One scripted misbehaviour, used for the next `times` matching requests. */
export interface Fault {
  /** Matches when the request path ends with this (e.g. "/oauth", "/models"); any when absent. */
  path?: string;
  times?: number;
  /** Wait this long before answering (or resetting). */
  delayMs?: number;
  /** Close the connection before sending any header. */
  reset?: boolean;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Streams only: close the connection after this many events (a reset mid-stream). */
  cutAfterEvents?: number;
  /** Streams only: send this raw text as the first event's data (malformed SSE). */
  rawEvent?: string;
  /** Streams only: never send [DONE] (v1) nor end the response. */
  hang?: boolean;
  /** Streams only: after this many events, send nothing more but keep the connection open. */
  stallAfterEvents?: number;
}

/** A request as the fake saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface FakeGigaChatOptions {
  /** Keys accepted at the OAuth endpoint, each with the scopes it may ask for. */
  keys?: Record<string, readonly string[]>;
  tokenTtlMs?: number;
  tls?: TestTls;
  port?: number;
  /** Pause between stream events, so streaming is visible (demo) or measurable. */
  chunkDelayMs?: number;
  /** Unscripted, answer like a small agent model: run the shell tool once, then answer. */
  agent?: boolean;
  /** Users and passwords `POST {api}/token` takes (API-chat.md §1.2). */
  users?: Record<string, string>;
  /** Access tokens issued elsewhere, taken as they are until the fake stops. */
  staticTokens?: readonly string[];
  /** Mutual TLS: refuse connections without a client certificate the test CA signed. */
  requireClientCert?: boolean;
  /**
   * With `requireClientCert`: a request without a token is the account `certificate` (its
   * certificate is enough), as installs that authenticate by certificate alone do.
   */
  certificateAccount?: boolean;
  /**
   * Concurrent chat requests each account may run (GigaChat's per-account limit); one more is
   * refused with 429. Accounts: an authorization key, `user:<name>`, a static token, or
   * `certificate`.
   */
  caps?: Record<string, number>;
  /** Each account sees only the files it uploaded (a GigaChat file belongs to one account). */
  filesPerAccount?: boolean;
}

const ALL_SCOPES = ["GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"] as const;
const RQUID = /^[0-9a-fA-F-]{36}$/;

/** The fake server; `start` it, point the gateway at `apiUrl`/`authUrl`, trust `caPem`. */
export class FakeGigaChat {
  readonly caPem: string;
  /** Its CA, server and client certificates (the client one for mutual TLS tests). */
  readonly tls: TestTls;
  /** The old host's API base (`/api/v1`, the recorded model list). */
  readonly apiUrl: string;
  /** The new host's API base, as on api.giga.chat (`/v1`, GigaChat-2 and -3, no old names). */
  readonly newApiUrl: string;
  readonly authUrl: string;
  readonly requests: RecordedRequest[] = [];
  /** Requests that reached the OAuth endpoint, injected failures included. */
  oauthCalls = 0;
  /** The fake's file store. */
  readonly files = new FakeFiles();
  /** Streams whose connection the other side closed before the fake finished sending. */
  abandonedStreams = 0;
  /** Chat requests (v1 or v2) being answered now, and the most there ever were at once. */
  activeChats = 0;
  maxActiveChats = 0;
  readonly #server: https.Server;
  readonly #keys: Record<string, readonly string[]>;
  readonly #tokenTtlMs: number;
  /** Tokens issued, each with when it expires and the account it is for. */
  readonly #tokens = new Map<string, { expiresAt: number; account: string }>();
  readonly #caps: Record<string, number>;
  readonly #refusals = new Map<string, number>();
  readonly #accountFiles = new Map<string, FakeFiles>();
  readonly #filesPerAccount: boolean;
  readonly #certificateAccount: boolean;
  /** Chat requests each account runs now, and the most it ever ran at once. */
  readonly activeByAccount = new Map<string, number>();
  readonly maxActiveByAccount = new Map<string, number>();
  /** Chat requests of all accounts running now (until their bodies end), and the most ever. */
  answering = 0;
  maxAnswering = 0;
  /** Chat requests refused with 429 for going over an account's cap. */
  capRefusals = 0;
  readonly #faults: Fault[] = [];
  readonly #scripts: ChatScript[] = [];
  readonly #chunkDelayMs: number;
  readonly #agent: boolean;
  readonly #users: Record<string, string>;
  /** Calls of `{api}/token` (user and password), refused ones included. */
  tokenCalls = 0;

  private constructor(server: https.Server, tls: TestTls, options: FakeGigaChatOptions) {
    this.#server = server;
    this.caPem = tls.caPem;
    this.tls = tls;
    this.#keys = options.keys ?? { [DEMO_KEY]: ALL_SCOPES };
    this.#tokenTtlMs = options.tokenTtlMs ?? 30 * 60_000;
    this.#chunkDelayMs = options.chunkDelayMs ?? 0;
    this.#agent = options.agent ?? false;
    this.#users = options.users ?? {};
    for (const token of options.staticTokens ?? []) {
      this.#tokens.set(token, { expiresAt: Infinity, account: token });
    }
    this.#caps = options.caps ?? {};
    this.#filesPerAccount = options.filesPerAccount ?? false;
    this.#certificateAccount = options.certificateAccount ?? false;
    const { port } = server.address() as AddressInfo;
    this.apiUrl = `https://127.0.0.1:${port}/api/v1`;
    this.newApiUrl = `https://127.0.0.1:${port}/v1`;
    this.authUrl = `https://127.0.0.1:${port}/api/v2/oauth`;
  }

  /** Starts a fake on 127.0.0.1 (a free port unless `port` is given). */
  static async start(options: FakeGigaChatOptions = {}): Promise<FakeGigaChat> {
    const tls = options.tls ?? await createTestTls();
    const server = https.createServer({
      key: tls.keyPem,
      cert: tls.certPem,
      ...(options.requireClientCert
        ? { requestCert: true, rejectUnauthorized: true, ca: [tls.caPem] }
        : {}),
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    const fake = new FakeGigaChat(server, tls, options);
    // A client that aborts mid-body (an upload cut off at its size limit) ends the request here.
    server.on("request", (req, res) => void fake.#handle(req, res).catch(() => res.destroy()));
    return fake;
  }

  /** Queues faults; each applies to the next matching requests, in order. */
  inject(...faults: Fault[]): void {
    this.#faults.push(...faults.map((fault) => ({ ...fault, times: fault.times ?? 1 })));
  }

  /** Queues answers for the next chat requests (otherwise the fake echoes the user). */
  scriptChat(...scripts: ChatScript[]): void {
    this.#scripts.push(...scripts);
  }

  /** The JSON bodies the fake received on paths ending with `suffix`. */
  bodiesTo(suffix: string): Record<string, unknown>[] {
    return this.requestsTo(suffix).map((r) => JSON.parse(r.body));
  }

  /** The JSON bodies the fake received on /chat/completions, v2's read as v1's. */
  chatBodies(): Record<string, unknown>[] {
    return this.bodiesTo("/chat/completions").map(v2AsV1);
  }

  /**
   * Makes every API call of `account` answer `status` (401, 402, 403) from now on; undefined
   * answers them again.
   */
  refuseAccount(account: string, status: number | undefined): void {
    if (status === undefined) this.#refusals.delete(account);
    else this.#refusals.set(account, status);
  }

  /** The files `account` uploaded (all files unless `filesPerAccount`). */
  filesOf(account: string): FakeFiles {
    if (!this.#filesPerAccount) return this.files;
    let files = this.#accountFiles.get(account);
    if (files === undefined) this.#accountFiles.set(account, files = new FakeFiles());
    return files;
  }

  /** Makes every token issued so far invalid, as if GigaChat had revoked them early. */
  revokeTokens(): void {
    this.#tokens.clear();
  }

  /** Requests whose path ends with `suffix`. */
  requestsTo(suffix: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path.endsWith(suffix));
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bytes = await readBody(req);
    const body = new TextDecoder().decode(bytes);
    const path = new URL(req.url ?? "/", "https://fake").pathname;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers[name] = value;
    }
    this.requests.push({ method: req.method ?? "GET", path, headers, body });
    if (path.endsWith("/chat/completions")) {
      this.activeChats++;
      this.maxActiveChats = Math.max(this.maxActiveChats, this.activeChats);
      res.once("close", () => this.activeChats--);
    }
    if (path === "/api/v2/oauth") this.oauthCalls++;
    const fault = this.#takeFault(path);
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.reset) {
      req.socket.destroy();
      return;
    }
    if (fault?.status !== undefined && fault.cutAfterEvents === undefined) {
      send(res, fault.status, fault.body ?? { status: fault.status, message: "injected" }, {
        headers: fault.headers,
      });
      return;
    }
    if (path === "/api/v2/oauth") return this.#oauth(req, headers, body, res);
    const v2Host = [OLD_HOST, NEW_HOST].find((candidate) => path === candidate.v2Chat);
    const host = v2Host ??
      [OLD_HOST, NEW_HOST].find((candidate) => path.startsWith(`${candidate.prefix}/`));
    if (host === undefined) return send(res, 404, { status: 404, message: "Not found" });
    if (path === `${host.prefix}/token`) return this.#userToken(req, headers, res);
    const account = this.#accountOf(headers);
    if (account === undefined) {
      // The real API says this for expired tokens (API-chat.md §6).
      return send(res, 401, { status: 401, message: "Token has expired" });
    }
    const refusal = this.#refusals.get(account);
    if (refusal !== undefined) {
      return send(res, refusal, { status: refusal, message: "refused by the test" }, {
        headers: refusal === 429 ? { "Retry-After": "30" } : undefined,
      });
    }
    if (path.endsWith("/chat/completions") && !this.#admitChat(account, res)) {
      this.capRefusals++;
      return send(res, 429, { status: 429, message: "Too Many Requests" });
    }
    if (v2Host !== undefined) {
      return await this.#chatV2(v2Host, req.method ?? "GET", body, res, fault, account);
    }
    const apiPath = path.slice(host.prefix.length);
    const file = await this.filesOf(account).answer(
      req.method ?? "GET",
      apiPath,
      headers["content-type"] ?? "",
      bytes,
    );
    if (file !== undefined && "raw" in file) {
      res.writeHead(200, { "Content-Type": file.contentType });
      res.end(file.raw);
      return;
    }
    if (file !== undefined) return send(res, file.status, file.json);
    await this.#api(host, req.method ?? "GET", apiPath, body, res, fault, account);
  }

  /** The account a request's token (or client certificate) is for; undefined: refused. */
  #accountOf(headers: Record<string, string>): string | undefined {
    const token = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
    if (token === undefined) return this.#certificateAccount ? "certificate" : undefined;
    const issued = this.#tokens.get(token);
    return issued === undefined || issued.expiresAt <= Date.now() ? undefined : issued.account;
  }

  /**
   * Counts a chat request against its account's cap; false: over it. It counts until its body
   * ends (a client may ask again the moment it reads the end) or its connection closes.
   */
  #admitChat(account: string, res: ServerResponse): boolean {
    const active = this.activeByAccount.get(account) ?? 0;
    if (Object.hasOwn(this.#caps, account) && active >= this.#caps[account]) return false;
    this.activeByAccount.set(account, active + 1);
    this.answering++;
    this.maxAnswering = Math.max(this.maxAnswering, this.answering);
    this.maxActiveByAccount.set(
      account,
      Math.max(this.maxActiveByAccount.get(account) ?? 0, active + 1),
    );
    let counted = true;
    const done = () => {
      if (!counted) return;
      counted = false;
      this.answering--;
      this.activeByAccount.set(account, (this.activeByAccount.get(account) ?? 1) - 1);
    };
    const end = res.end.bind(res);
    res.end = ((...args: Parameters<typeof end>) => {
      done();
      return end(...args);
    }) as typeof res.end;
    res.once("close", done);
    return true;
  }

  /** `POST …/v2/chat/completions` (API-more.md §9). */
  async #chatV2(
    host: FakeHost,
    method: string,
    body: string,
    res: ServerResponse,
    fault: Fault | undefined,
    account: string,
  ): Promise<void> {
    if (method !== "POST") return send(res, 405, { status: 405, message: "Method not allowed" });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return send(res, 400, { status: 400, message: "Invalid JSON" });
    }
    const script = this.#scripts.shift() ??
      (this.#agent ? agentScript(agentTurnV2(parsed)) : undefined);
    const outcome = answerChatV2(parsed, script, this.filesOf(account), host);
    if (outcome.kind === "error") return send(res, outcome.status, outcome.body);
    if (outcome.kind === "json") return send(res, 200, outcome.body);
    return await this.#stream(res, outcome.events, fault);
  }

  /**
   * SSE with GigaChat's framing: v1's `data: <json>` and a blank line, no event names (§5);
   * v2's named events (API-more.md §9).
   */
  async #stream(
    res: ServerResponse,
    events: (string | NamedEvent)[],
    fault: Fault | undefined,
  ): Promise<void> {
    res.writeHead(200, {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      "X-Request-Id": crypto.randomUUID(),
    });
    let ended = false;
    res.on("close", () => {
      if (!ended) this.abandonedStreams++;
    });
    const sent = fault?.rawEvent === undefined ? events : [fault.rawEvent, ...events];
    for (const [i, event] of sent.entries()) {
      if (fault?.cutAfterEvents !== undefined && i >= fault.cutAfterEvents) {
        ended = true;
        res.socket?.destroy();
        return;
      }
      const named = typeof event === "object";
      const data = named ? event.data : event;
      if (fault?.hang && data === "[DONE]") return;
      if (fault?.stallAfterEvents !== undefined && i >= fault.stallAfterEvents) return;
      if (res.destroyed) return;
      const frame = named ? `event: ${event.event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
      const last = i === sent.length - 1;
      // Wait until each event is on the wire, so a cut lands after the events already sent.
      await new Promise<void>((resolve) => res.write(frame, () => resolve()));
      if (this.#chunkDelayMs > 0 && !last) {
        await new Promise((r) => setTimeout(r, this.#chunkDelayMs));
      }
    }
    // v2 has no [DONE]: a hanging v2 stream sends its done event and never ends the body.
    if (fault?.hang) return;
    ended = true;
    res.end();
  }

  #takeFault(path: string): Fault | undefined {
    const index = this.#faults.findIndex((fault) =>
      fault.path === undefined || path.endsWith(fault.path)
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index];
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  #oauth(
    req: IncomingMessage,
    headers: Record<string, string>,
    body: string,
    res: ServerResponse,
  ): void {
    if (req.method !== "POST") return send(res, 405, { code: 0, message: "method not allowed" });
    if (!RQUID.test(headers.rquid ?? "")) {
      return send(res, 400, { code: 4, message: "RqUID is invalid" });
    }
    if (!(headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return send(res, 400, { code: 5, message: "scope is empty" });
    }
    const scope = new URLSearchParams(body).get("scope");
    if (!scope) return send(res, 400, scopeEmpty);
    const key = /^Basic (.+)$/.exec(headers.authorization ?? "")?.[1];
    const scopes = key === undefined ? undefined : this.#keys[key];
    // The reference gives no body for a wrong key; this one follows the documented OAuth shape.
    if (scopes === undefined) {
      return send(res, 401, { code: 6, message: "credentials doesn't match db data" });
    }
    if (!scopes.includes(scope)) return send(res, 400, scopeMismatch);
    const token = `fake-token-${crypto.randomUUID()}`;
    const expiresAt = Date.now() + this.#tokenTtlMs;
    this.#tokens.set(token, { expiresAt, account: key! });
    send(res, 200, { access_token: token, expires_at: expiresAt });
  }

  /**
   * `POST {api}/token` with Basic user:password and no body (API-chat.md §1.2): `{tok, exp}`,
   * exp in seconds as the SDK's recordings write it.
   */
  #userToken(req: IncomingMessage, headers: Record<string, string>, res: ServerResponse): void {
    this.tokenCalls++;
    if (req.method !== "POST") {
      return send(res, 405, { status: 405, message: "Method not allowed" });
    }
    const basic = /^Basic (.+)$/.exec(headers.authorization ?? "")?.[1] ?? "";
    let pair = "";
    try {
      pair = atob(basic);
    } catch {
      // Not base64: refused below.
    }
    const at = pair.indexOf(":");
    const [user, password] = [pair.slice(0, at), pair.slice(at + 1)];
    if (at < 0 || !Object.hasOwn(this.#users, user) || this.#users[user] !== password) {
      return send(res, 401, { status: 401, message: "Unauthorized" });
    }
    const token = `fake-user-token-${crypto.randomUUID()}`;
    const expiresAt = Date.now() + this.#tokenTtlMs;
    this.#tokens.set(token, { expiresAt, account: `user:${user}` });
    send(res, 200, { tok: token, exp: Math.floor(expiresAt / 1000) });
  }

  async #api(
    host: FakeHost,
    method: string,
    path: string,
    body: string,
    res: ServerResponse,
    fault: Fault | undefined,
    account: string,
  ): Promise<void> {
    if (method === "POST" && path === "/chat/completions") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return send(res, 400, { status: 400, message: "Invalid JSON" });
      }
      // n > 1: one script per choice, the first one's answer for the others unscripted.
      const n = (parsed as { n?: unknown }).n;
      const more = typeof n === "number" && n > 1
        ? Array.from({ length: n - 1 }, (_, i) => this.#scripts[i + 1]?.content)
        : [];
      const outcome = answerChat(
        parsed,
        this.#scripts.shift() ?? (this.#agent ? agentScript(agentTurnV1(parsed)) : undefined),
        (id) => this.filesOf(account).has(id),
        host,
        more,
      );
      this.#scripts.splice(0, more.length);
      if (outcome.kind === "error") return send(res, outcome.status, outcome.body);
      if (outcome.kind === "json") return send(res, 200, outcome.body);
      return await this.#stream(res, outcome.events, fault);
    }
    if (method === "POST" && path === "/embeddings") {
      const outcome = answerEmbeddings(body, host);
      return send(res, outcome.status, outcome.body);
    }
    if (method === "POST" && path === "/tokens/count") {
      // API-more.md §3: a bare array, one entry per input string (the count here is made up).
      let parsed: { model?: unknown; input?: unknown };
      try {
        parsed = JSON.parse(body);
      } catch {
        return send(res, 400, { status: 400, message: "Invalid JSON" });
      }
      if (typeof parsed.model !== "string" || !host.chatModels.has(parsed.model)) {
        return send(res, 404, noSuchModel);
      }
      const input = parsed.input;
      if (!Array.isArray(input) || !input.every((item) => typeof item === "string")) {
        return send(res, 422, { status: 422, message: "input: must be an array of strings" });
      }
      return send(
        res,
        200,
        input.map((text: string) => ({
          object: "tokens",
          tokens: Math.max(1, Math.ceil(text.length / 4)),
          characters: text.length,
        })),
      );
    }
    if (method === "GET" && path === "/models") return send(res, 200, host.models);
    if (method === "GET" && path.startsWith("/models/")) {
      const id = decodeURIComponent(path.slice("/models/".length));
      const model = host.models.data.find((entry) => entry.id === id);
      return model ? send(res, 200, model) : send(res, 404, modelsGet404);
    }
    send(res, 404, noSuchModel);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  options: { headers?: Record<string, string> } = {},
): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "X-Request-Id": crypto.randomUUID(),
    "X-Session-Id": crypto.randomUUID(),
    ...options.headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array);
  const bytes = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
