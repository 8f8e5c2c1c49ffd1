import assert from "node:assert/strict";
import { forwardedHeaders, requestIdFor } from "../../../lib/http/request_id.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function request(headers: Record<string, string>): Request {
  return new Request("http://127.0.0.1:8080/v1/models", { headers });
}

Deno.test("requestIdFor keeps a plain client id", async (t) => {
  const rows = ["req-123", "abc.DEF_0:9", "a".repeat(128)];
  for (const id of rows) {
    await t.step(
      id.slice(0, 20),
      () => assert.equal(requestIdFor(request({ "x-request-id": id })), id),
    );
  }
});

Deno.test("requestIdFor replaces a missing or unsafe id with a fresh UUID", async (t) => {
  const rows: { name: string; headers: Record<string, string> }[] = [
    { name: "missing", headers: {} },
    { name: "empty", headers: { "x-request-id": "" } },
    { name: "space", headers: { "x-request-id": "a b" } },
    { name: "quote", headers: { "x-request-id": 'x"}' } },
    { name: "markup", headers: { "x-request-id": "<script>" } },
    { name: "129 characters", headers: { "x-request-id": "a".repeat(129) } },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const first = requestIdFor(request(row.headers));
      assert.match(first, UUID);
      assert.notEqual(requestIdFor(request(row.headers)), first);
    });
  }
});

Deno.test("forwardedHeaders passes X-Session-ID and X-Client-ID when safe", async (t) => {
  const rows: {
    name: string;
    headers: Record<string, string>;
    expected: Record<string, string>;
  }[] = [
    { name: "none", headers: {}, expected: {} },
    {
      name: "both",
      headers: { "X-Session-ID": "sess-1", "X-Client-ID": "client.2" },
      expected: { "x-session-id": "sess-1", "x-client-id": "client.2" },
    },
    {
      name: "unsafe value dropped",
      headers: { "x-session-id": "a b", "x-client-id": "ok" },
      expected: { "x-client-id": "ok" },
    },
    {
      name: "other headers ignored",
      headers: { "x-request-id": "r1", authorization: "Bearer secret-token-1234" },
      expected: {},
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(forwardedHeaders(request(row.headers)), row.expected),
    );
  }
});
