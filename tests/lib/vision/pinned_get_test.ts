import assert from "node:assert/strict";
import { pinnedGet } from "../../../lib/vision/pinned_get.ts";

Deno.test("pinnedGet connects to the checked address, never to what the name resolves to", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => new Response(`host=${request.headers.get("host")}`, { headers: { "x-a": "1" } }),
  );
  try {
    // "pinned.invalid" does not resolve at all: only the pinned address can answer.
    const url = new URL(`http://pinned.invalid:${server.addr.port}/cat.png`);
    const response = await pinnedGet(url, ["127.0.0.1"], AbortSignal.timeout(5000));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-a"), "1");
    assert.equal(await response.text(), `host=pinned.invalid:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
});
