import assert from "node:assert/strict";
import type { RequestContext } from "../../../lib/context.ts";
import { loadConfig } from "../../../lib/config.ts";
import { Logger } from "../../../lib/log.ts";
import { streamResponse } from "../../../lib/pipeline/stream_response.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** The fields of a request context a stream reads, with a connection that may be cut. */
function contextWith(delivered: Promise<void>, cuts: string[]): RequestContext {
  const app = {
    config: loadConfig({ STREAM_CLIENT_TIMEOUT_MS: "50" }),
    log: new Logger({ level: "silent" }),
    stopping: new AbortController().signal,
  };
  return {
    app,
    requestId: "r1",
    trace: { upstreamAttempts: 0 },
    cutConnection: () => (cuts.push("cut"), true),
    delivered,
  } as unknown as RequestContext;
}

function answer(ctx: RequestContext): Response {
  return streamResponse(ctx, {
    opening: () => [encode("a\n")],
    next: () => Promise.resolve({ bytes: [encode("b\n")], done: true }),
    closing: () => [encode("end\n")],
    failure: () => [],
    release: () => {},
  }, { idle: true, headers: {} });
}

Deno.test("streamResponse cuts a complete stream's connection whose last bytes never go out", async () => {
  const cuts: string[] = [];
  const text = await answer(contextWith(new Promise(() => {}), cuts)).text();
  assert.equal(text, "a\nb\nend\n");
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.deepEqual(cuts, ["cut"]);
});

Deno.test("streamResponse leaves a delivered stream's connection alone", async () => {
  const cuts: string[] = [];
  await answer(contextWith(Promise.resolve(), cuts)).text();
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.deepEqual(cuts, []);
});
