import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import { makeCredential } from "../../../lib/gigachat/credential.ts";
import { type Fetcher, UpstreamClient } from "../../../lib/gigachat/upstream_client.ts";

const API = "https://giga.test/api/v1";
const AUTH = "https://auth.test/api/v2/oauth";

/** Stubs see a whole Request, whatever form the client passes to fetch. */
type RequestStub = (request: Request) => Promise<Response>;

function clientWith(stub: RequestStub, overrides: { maxAttempts?: number } = {}) {
  const fetch: Fetcher = (input, init) => stub(new Request(input, init));
  return new UpstreamClient({
    apiUrl: API,
    authUrl: AUTH,
    retry: { maxAttempts: overrides.maxAttempts ?? 3, baseDelayMs: 1, maxDelayMs: 10 },
    requestTimeoutMs: 5_000,
    connectTimeoutMs: 1_000,
    tokenRefreshBufferMs: 0,
    tokenCacheSize: 10,
    fetch,
  });
}

const oauthOk = () => Response.json({ access_token: "tok-1", expires_at: Date.now() + 60_000 });

Deno.test("UpstreamClient.request aborts the upstream fetch when the client's signal aborts", async () => {
  const seen: Request[] = [];
  let upstreamAborted = false;
  const fetch: RequestStub = (request) => {
    if (request.url === AUTH) return Promise.resolve(oauthOk());
    seen.push(request);
    return new Promise((_resolve, reject) => {
      request.signal.addEventListener("abort", () => {
        upstreamAborted = true;
        reject(request.signal.reason);
      });
    });
  };
  const controller = new AbortController();
  const pending = clientWith(fetch).request({
    method: "POST",
    path: "/chat/completions",
    json: { model: "GigaChat" },
    credential: await makeCredential("a2V5", "GIGACHAT_API_PERS"),
    requestId: "r-1",
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(pending, (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.status, 499);
    return true;
  });
  assert.equal(upstreamAborted, true);
  assert.equal(seen.length, 1, "an abandoned request is not retried");
});

Deno.test("UpstreamClient.request sends JSON with token, request id and forwarded headers", async () => {
  const seen: Request[] = [];
  const fetch: RequestStub = (request) => {
    if (request.url === AUTH) return Promise.resolve(oauthOk());
    seen.push(request);
    return Promise.resolve(new Response("data: [DONE]\n\n"));
  };
  await clientWith(fetch).request({
    method: "POST",
    path: "/chat/completions",
    json: { model: "GigaChat", messages: [{ role: "user", content: "Привет" }] },
    credential: await makeCredential("a2V5", "GIGACHAT_API_PERS"),
    requestId: "r-2",
    forwardHeaders: { "x-session-id": "s-1" },
    stream: true,
  });
  const [request] = seen;
  assert.equal(request.url, `${API}/chat/completions`);
  assert.equal(request.headers.get("authorization"), "Bearer tok-1");
  assert.equal(request.headers.get("x-request-id"), "r-2");
  assert.equal(request.headers.get("x-session-id"), "s-1");
  assert.equal(request.headers.get("accept"), "text/event-stream");
  assert.equal(request.headers.get("content-type"), "application/json");
  assert.equal(
    await request.text(),
    '{"model":"GigaChat","messages":[{"role":"user","content":"Привет"}]}',
  );
});

Deno.test("UpstreamClient.request gives up after maxAttempts network failures with a 502", async () => {
  let calls = 0;
  const fetch: RequestStub = (request) => {
    if (request.url === AUTH) return Promise.resolve(oauthOk());
    calls++;
    return Promise.reject(new TypeError("error sending request: connection refused"));
  };
  await assert.rejects(
    clientWith(fetch, { maxAttempts: 2 }).request({
      method: "GET",
      path: "/models",
      credential: await makeCredential("a2V5", "GIGACHAT_API_PERS"),
      requestId: "r-3",
    }),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 502);
      assert.equal(error.code, "upstream_unreachable");
      assert.match(error.message, /giga\.test.*after 2 attempt/);
      return true;
    },
  );
  assert.equal(calls, 2);
});

Deno.test("UpstreamClient.requestJson reports an OAuth answer without a token as 502", async () => {
  const fetch: RequestStub = (request) =>
    Promise.resolve(request.url === AUTH ? Response.json({ nothing: 1 }) : Response.json({}));
  await assert.rejects(
    clientWith(fetch).requestJson({
      method: "GET",
      path: "/models",
      credential: await makeCredential("a2V5", "GIGACHAT_API_PERS"),
      requestId: "r-4",
    }),
    (error: unknown) => error instanceof GatewayError && error.status === 502,
  );
});
