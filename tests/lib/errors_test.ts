import assert from "node:assert/strict";

import { GatewayError } from "../../lib/errors.ts";

const original = new GatewayError(503, "Store away.", {
  type: "server_error",
  code: "shared_store_unavailable",
  param: "session",
  headers: { "Retry-After": "1" },
  retryable: false,
  cause: "redis down",
});

Deno.test("GatewayError.with: what it names changes, the rest is kept", () => {
  const cases: [Parameters<GatewayError["with"]>[0], Partial<Record<string, unknown>>][] = [
    [{}, { message: "Store away.", param: "session", cause: "redis down" }],
    [{ message: "Other." }, { message: "Other.", param: "session" }],
    [{ param: "input[0]" }, { message: "Store away.", param: "input[0]" }],
    [{ cause: original }, { cause: original }],
    [{ cause: undefined }, { cause: undefined }],
  ];
  for (const [changes, expected] of cases) {
    const copy = original.with(changes);
    assert.notEqual(copy, original);
    assert.equal(copy.status, 503);
    assert.equal(copy.type, "server_error");
    assert.equal(copy.code, "shared_store_unavailable");
    assert.equal(copy.retryable, false);
    assert.deepEqual(copy.headers, { "Retry-After": "1" });
    for (const [field, value] of Object.entries(expected)) {
      assert.equal(
        copy[field as keyof GatewayError],
        value,
        `${JSON.stringify(changes)}: ${field}`,
      );
    }
  }
});

Deno.test("GatewayError.with: headers are added to its own, which stay unchanged", async () => {
  const copy = original.with({ headers: { "Set-Cookie": "a=; Max-Age=0" } });
  assert.deepEqual(copy.headers, { "Retry-After": "1", "Set-Cookie": "a=; Max-Age=0" });
  assert.deepEqual(original.headers, { "Retry-After": "1" });
  const response = copy.toResponse();
  assert.equal(response.headers.get("x-should-retry"), "false");
  assert.equal((await response.json()).error.param, "session");
});
