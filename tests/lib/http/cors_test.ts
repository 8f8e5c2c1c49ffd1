import assert from "node:assert/strict";
import { corsHeaders, preflightResponse } from "../../../lib/http/cors.ts";

const EXPOSE = "X-Request-ID, Retry-After";

Deno.test("corsHeaders allows only configured origins", async (t) => {
  const rows: {
    name: string;
    origin: string | null;
    allowed: string[];
    expected: Record<string, string>;
  }[] = [
    { name: "nothing configured", origin: "https://app.example", allowed: [], expected: {} },
    { name: "no Origin header", origin: null, allowed: ["*"], expected: {} },
    {
      name: "wildcard",
      origin: "https://app.example",
      allowed: ["*"],
      expected: { "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSE },
    },
    {
      name: "listed origin",
      origin: "https://app.example",
      allowed: ["https://other.example", "https://app.example"],
      expected: {
        "Access-Control-Allow-Origin": "https://app.example",
        "Vary": "Origin",
        "Access-Control-Expose-Headers": EXPOSE,
      },
    },
    {
      name: "unlisted origin",
      origin: "https://evil.example",
      allowed: ["https://app.example"],
      expected: {},
    },
    {
      name: "origin differing only by port",
      origin: "https://app.example:8443",
      allowed: ["https://app.example"],
      expected: {},
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(corsHeaders(row.origin, row.allowed), row.expected);
    });
  }
});

function preflight(headers: Record<string, string>): Request {
  return new Request("http://127.0.0.1:8080/v1/chat/completions", { method: "OPTIONS", headers });
}

Deno.test("preflightResponse answers 204 with methods and headers for allowed origins", async (t) => {
  await t.step("default header list", async () => {
    const response = preflightResponse(preflight({ origin: "https://app.example" }), [
      "https://app.example",
    ]);
    assert.equal(response.status, 204);
    assert.equal(await response.text(), "");
    assert.equal(response.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(
      response.headers.get("access-control-allow-methods"),
      "GET, POST, DELETE, OPTIONS",
    );
    assert.equal(
      response.headers.get("access-control-allow-headers"),
      "Authorization, Content-Type, X-API-Key, X-Request-ID, X-Session-ID, X-Client-ID, " +
        "OpenAI-Organization, OpenAI-Project, X-Stainless-*",
    );
    assert.equal(response.headers.get("access-control-max-age"), "600");
  });
  await t.step("requested headers echoed", () => {
    const response = preflightResponse(
      preflight({
        origin: "https://app.example",
        "access-control-request-headers": "authorization, x-stainless-os",
      }),
      ["*"],
    );
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    assert.equal(
      response.headers.get("access-control-allow-headers"),
      "authorization, x-stainless-os",
    );
  });
  await t.step("disallowed origin gets a bare 204", () => {
    const response = preflightResponse(preflight({ origin: "https://evil.example" }), [
      "https://app.example",
    ]);
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("access-control-allow-origin"), null);
    assert.equal(response.headers.get("access-control-allow-methods"), null);
  });
});
