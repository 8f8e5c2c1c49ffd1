// The bench's native load generator: its Lua script and output parsing, and one real wrk run
// (Debian's package; .ci/run installs it) against a loopback server that checks the request.
import assert from "node:assert/strict";
import { parseWrk, runWrk, wrkScript } from "../../bench/native_load.ts";
import { needs } from "../helpers/system_programs.ts";

Deno.test("wrkScript: long strings that no body can close early, headers with a space", () => {
  const script = wrkScript({
    url: "http://127.0.0.1:1/",
    method: "POST",
    body: '{"text":"a]=]b"}',
    headers: { "content-type": "application/json" },
    connections: 1,
  });
  assert.match(script, /^wrk\.method = \[=\[POST\]=\]$/m);
  assert.match(script, /^wrk\.body = \[==\[\{"text":"a\]=\]b"\}\]==\]$/m);
  assert.match(script, /^wrk\.headers\[ \[=\[content-type\]=\] \] = \[=\[application\/json\]=\]$/m);
});

Deno.test("parseWrk: non-2xx answers and socket errors are failures, times in ms", () => {
  const line = 'WRK_JSON {"requests":1000,"duration_us":2000000,"p50_us":750.0,' +
    '"p99_us":2500.5,"mean_us":800.0,"connect":0,"read":2,"write":0,"status":10,"timeout":1}';
  const result = parseWrk(`Running 2s test\n${line}\n0m0.1s 0m0.0s\n`, 8);
  assert.deepEqual(result, {
    connections: 8,
    ok: 989,
    failed: 13,
    durationS: 2,
    rps: 494.5,
    p50Ms: 0.75,
    p99Ms: 2.5005,
    meanMs: 0.8,
  });
  assert.throws(() => parseWrk("wrk: something broke", 1), /no figures from wrk/);
});

Deno.test({
  name: "runWrk: the real wrk sends the POST body and headers, and its figures add up",
  ...needs("wrk"),
  async fn() {
    let seen = 0;
    let wrong = "";
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const body = await req.text();
        if (
          req.method !== "POST" || body !== '{"q":"[[x]]"}' ||
          req.headers.get("authorization") !== "Bearer k"
        ) {
          wrong = `${req.method} ${body} ${req.headers.get("authorization")}`;
          return new Response("no", { status: 400 });
        }
        seen++;
        return new Response("ok");
      },
    );
    const dir = await Deno.makeTempDir();
    try {
      const result = await runWrk({
        url: `http://127.0.0.1:${server.addr.port}/`,
        method: "POST",
        body: '{"q":"[[x]]"}',
        headers: { "content-type": "application/json", authorization: "Bearer k" },
        connections: 2,
        durationS: 1,
      }, dir);
      assert.equal(wrong, "", "every request as asked");
      assert.equal(result.failed, 0);
      assert.ok(result.ok > 50, `${result.ok} answers`);
      // wrk counts what completed within its run; the server may have seen a few more.
      assert.ok(Math.abs(seen - result.ok) <= 4, `${seen} seen, ${result.ok} counted`);
      assert.ok(result.p50Ms > 0 && result.p50Ms <= result.p99Ms);
      assert.ok(result.cpuMs >= 0);
      assert.deepEqual([...Deno.readDirSync(dir)], [], "the script is removed");
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
