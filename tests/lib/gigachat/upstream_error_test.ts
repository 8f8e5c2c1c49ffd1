import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import {
  mapNetworkFailure,
  mapUpstreamFailure,
  readUpstreamFailure,
  type UpstreamFailure,
} from "../../../lib/gigachat/upstream_error.ts";

function failure(status: number, more: Partial<UpstreamFailure> = {}): UpstreamFailure {
  return { status, message: undefined, code: undefined, retryAfter: null, attempts: 1, ...more };
}

interface Expected {
  status: number;
  type: string;
  code: string | null;
  param?: string | null;
  headers?: Record<string, string>;
  message?: string;
}

function assertMapped(error: GatewayError, expected: Expected): void {
  assert.ok(error instanceof GatewayError);
  assert.equal(error.status, expected.status);
  assert.equal(error.type, expected.type);
  assert.equal(error.code, expected.code);
  assert.equal(error.param, expected.param ?? null);
  assert.deepEqual(error.headers, expected.headers ?? {});
  assert.ok(error.message.length > 0);
  if (expected.message !== undefined) assert.equal(error.message, expected.message);
}

Deno.test("mapUpstreamFailure maps GigaChat API statuses to OpenAI errors", async (t) => {
  const rows: { name: string; failure: UpstreamFailure; expected: Expected }[] = [
    {
      name: "400",
      failure: failure(400, { message: "Invalid params: temperature" }),
      expected: {
        status: 400,
        type: "invalid_request_error",
        code: null,
        message: "GigaChat rejected the request: Invalid params: temperature",
      },
    },
    {
      name: "422",
      failure: failure(422),
      expected: { status: 400, type: "invalid_request_error", code: "unprocessable_entity" },
    },
    {
      name: "401 Token has expired (API-chat.md §6, n8n-gigachat#11)",
      failure: failure(401, { message: "Token has expired" }),
      expected: {
        status: 401,
        type: "authentication_error",
        code: "invalid_api_key",
        message: "GigaChat refused the access token: Token has expired",
      },
    },
    {
      name: "402",
      failure: failure(402),
      expected: { status: 429, type: "insufficient_quota", code: "insufficient_quota" },
    },
    {
      name: "403",
      failure: failure(403),
      expected: { status: 403, type: "permission_error", code: "permission_denied" },
    },
    {
      name: "404 No such model (sample error_404_no_such_model.json)",
      failure: failure(404, { message: "No such model" }),
      expected: {
        status: 404,
        type: "invalid_request_error",
        code: "model_not_found",
        param: "model",
        message: "The model does not exist or is not available (GigaChat: No such model).",
      },
    },
    {
      name: "other 404",
      failure: failure(404),
      expected: {
        status: 404,
        type: "not_found_error",
        code: "not_found",
        message: "GigaChat found no such resource",
      },
    },
    {
      name: "413",
      failure: failure(413),
      expected: { status: 413, type: "invalid_request_error", code: "request_too_large" },
    },
    {
      name: "429 keeps Retry-After (API-chat.md §6)",
      failure: failure(429, { retryAfter: "7", attempts: 3 }),
      expected: {
        status: 429,
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
        headers: { "Retry-After": "7" },
        message: "GigaChat rate limit reached after 3 attempt(s)",
      },
    },
    {
      name: "429 without Retry-After",
      failure: failure(429),
      expected: { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" },
    },
    {
      name: "500",
      failure: failure(500, { attempts: 3 }),
      expected: {
        status: 502,
        type: "server_error",
        code: "upstream_error",
        message: "GigaChat failed (HTTP 500) after 3 attempt(s)",
      },
    },
    {
      name: "503",
      failure: failure(503, { message: "Service Unavailable" }),
      expected: { status: 502, type: "server_error", code: "upstream_error" },
    },
    {
      name: "unknown 4xx",
      failure: failure(418, { message: "teapot" }),
      expected: {
        status: 400,
        type: "invalid_request_error",
        code: null,
        message: "GigaChat rejected the request (HTTP 418: teapot)",
      },
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assertMapped(mapUpstreamFailure(row.failure, "api"), row.expected),
    );
  }
});

Deno.test("mapUpstreamFailure turns OAuth refusals into 401 with a hint", async (t) => {
  const scopeHint = "Check GIGACHAT_DEFAULT_SCOPE (PERS, B2B or CORP) matches the key.";
  const keyHint = "Check the authorization key (base64 of client_id:client_secret).";
  const rows = [
    {
      name: "400 code 7 (sample oauth_error_400_scope_mismatch.json)",
      failure: failure(400, {
        code: 7,
        message: "scope from db not fully includes consumed scope",
      }),
      hint: scopeHint,
    },
    {
      name: "400 code 7 without a message",
      failure: failure(400, { code: 7 }),
      hint: scopeHint,
    },
    {
      name: "400 code 5 scope is empty (sample oauth_error_400_scope_empty.json)",
      failure: failure(400, { code: 5, message: "scope is empty" }),
      hint: scopeHint,
    },
    { name: "401 bad key", failure: failure(401), hint: keyHint },
    { name: "403", failure: failure(403, { message: "Forbidden" }), hint: keyHint },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const error = mapUpstreamFailure(row.failure, "oauth");
      assertMapped(error, { status: 401, type: "authentication_error", code: "invalid_api_key" });
      assert.ok(error.message.startsWith("GigaChat did not accept the authorization key (HTTP "));
      assert.ok(error.message.endsWith(row.hint), error.message);
    });
  }
  await t.step("429 stays a rate limit", () => {
    assertMapped(mapUpstreamFailure(failure(429, { retryAfter: "2" }), "oauth"), {
      status: 429,
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      headers: { "Retry-After": "2" },
    });
  });
  await t.step("500 stays an upstream failure", () => {
    assertMapped(mapUpstreamFailure(failure(500), "oauth"), {
      status: 502,
      type: "server_error",
      code: "upstream_error",
    });
  });
});

Deno.test("mapUpstreamFailure result renders the OpenAI error body", () => {
  const error = mapUpstreamFailure(failure(404, { message: "No such model" }), "api");
  assert.deepEqual(error.toBody(), {
    error: {
      message: "The model does not exist or is not available (GigaChat: No such model).",
      type: "invalid_request_error",
      param: "model",
      code: "model_not_found",
    },
  });
});

Deno.test("readUpstreamFailure reads status, message, code and Retry-After", async (t) => {
  const rows: { name: string; response: () => Response; expected: UpstreamFailure }[] = [
    {
      name: "API JSON body (sample error_404_no_such_model.json)",
      response: () => new Response('{"status": 404, "message": "No such model"}', { status: 404 }),
      expected: failure(404, { message: "No such model" }),
    },
    {
      name: "OAuth JSON body with code (sample oauth_error_400_scope_empty.json)",
      response: () => new Response('{"code": 5, "message": "scope is empty"}', { status: 400 }),
      expected: failure(400, { code: 5, message: "scope is empty" }),
    },
    {
      name: "JSON without a message",
      response: () => new Response('{"error": "x"}', { status: 500 }),
      expected: failure(500),
    },
    {
      name: "HTML page from a proxy",
      response: () => new Response("\n<html><body>502 Bad Gateway</body></html>", { status: 502 }),
      expected: failure(502),
    },
    {
      name: "empty body",
      response: () => new Response(null, { status: 503 }),
      expected: failure(503),
    },
    {
      name: "plain text",
      response: () => new Response("  upstream overloaded\n", { status: 503 }),
      expected: failure(503, { message: "upstream overloaded" }),
    },
    {
      name: "Retry-After header kept as sent",
      response: () => new Response("", { status: 429, headers: { "Retry-After": "30" } }),
      expected: failure(429, { retryAfter: "30" }),
    },
    {
      name: "body that fails mid-way",
      response: () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.error(new Error("connection reset"));
            },
          }),
          { status: 500 },
        ),
      expected: failure(500),
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      assert.deepEqual(await readUpstreamFailure(row.response(), 1), row.expected);
    });
  }
  await t.step("attempts passed through", async () => {
    const read = await readUpstreamFailure(new Response("", { status: 502 }), 3);
    assert.equal(read.attempts, 3);
  });
});

Deno.test("mapNetworkFailure tells TLS failures from unreachable hosts", async (t) => {
  const host = "gigachat.devices.sberbank.ru";
  await t.step("nested UnknownIssuer cause is a TLS error (API-chat.md §8)", () => {
    const error = new TypeError("error sending request for url", {
      cause: new Error("client error (Connect)", {
        cause: new Error("invalid peer certificate: UnknownIssuer"),
      }),
    });
    const mapped = mapNetworkFailure(error, host, 1);
    assertMapped(mapped, { status: 502, type: "server_error", code: "upstream_tls_error" });
    assert.ok(mapped.message.includes("(invalid peer certificate: UnknownIssuer)"), mapped.message);
    assert.ok(mapped.message.includes("GIGACHAT_CA_FILE"), mapped.message);
    assert.equal(mapped.cause, error);
  });
  await t.step("connection refused is unreachable", () => {
    const error = new TypeError("error sending request", {
      cause: new Error("Connection refused (os error 111)"),
    });
    assertMapped(mapNetworkFailure(error, host, 2), {
      status: 502,
      type: "server_error",
      code: "upstream_unreachable",
      message:
        "Could not reach GigaChat at gigachat.devices.sberbank.ru after 2 attempt(s) (Connection refused (os error 111))",
    });
  });
  await t.step("a reset without TLS close_notify is unreachable, not a certificate problem", () => {
    const error = new TypeError("error sending request", {
      cause: new Error("peer closed connection without sending TLS close_notify"),
    });
    assertMapped(mapNetworkFailure(error, host, 1), {
      status: 502,
      type: "server_error",
      code: "upstream_unreachable",
    });
  });
  await t.step("a thrown non-Error is described", () => {
    assertMapped(mapNetworkFailure("socket hang up", host, 1), {
      status: 502,
      type: "server_error",
      code: "upstream_unreachable",
      message: "Could not reach GigaChat at gigachat.devices.sberbank.ru after 1 attempt(s) " +
        "(socket hang up)",
    });
  });
});

Deno.test("mapUpstreamFailure names the model in No such model, alias and all", async (t) => {
  const rows: { name: string; model: { requested: string; upstream: string }; message: string }[] =
    [
      {
        name: "a plain name",
        model: { requested: "GigaChat-Ultra", upstream: "GigaChat-Ultra" },
        message: "The model 'GigaChat-Ultra' does not exist or is not available to this key " +
          "(GigaChat: No such model). GET /v1/models lists the models it can use; MODEL_ALIASES " +
          "maps other names to them.",
      },
      {
        name: "an alias",
        model: { requested: "gpt-4o", upstream: "GigaChat-9" },
        message: "The model 'gpt-4o' (sent to GigaChat as 'GigaChat-9') does not exist or is not " +
          "available to this key (GigaChat: No such model). GET /v1/models lists the models it " +
          "can use; MODEL_ALIASES maps other names to them.",
      },
    ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const error = mapUpstreamFailure(
        failure(404, { message: "No such model" }),
        "api",
        row.model,
      );
      assert.equal(error.message, row.message);
      assert.equal(error.code, "model_not_found");
    });
  }
});

Deno.test("mapUpstreamFailure tells an older model name where it still lives", async (t) => {
  for (const name of ["GigaChat", "GigaChat-Max", "GigaChat-2-Max-preview"]) {
    await t.step(name, () => {
      const error = mapUpstreamFailure(failure(404, { message: "No such model" }), "api", {
        requested: name,
        upstream: name,
      });
      assert.match(error.message, /older names served only by the old host/);
      assert.match(error.message, /gigachat\.devices\.sberbank\.ru\/api\/v1/);
    });
  }
  const current = mapUpstreamFailure(failure(404, { message: "No such model" }), "api", {
    requested: "GigaChat-3-Mega",
    upstream: "GigaChat-3-Mega",
  });
  assert.doesNotMatch(current.message, /old host/);
});
