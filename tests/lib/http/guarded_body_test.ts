import assert from "node:assert/strict";
import { guardedBody } from "../../../lib/http/guarded_body.ts";

function source(chunks: string[], stallAfter = Infinity) {
  let sent = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= stallAfter) return await new Promise<void>(() => {});
      if (sent >= chunks.length) return controller.close();
      controller.enqueue(new TextEncoder().encode(chunks[sent++]));
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, wasCancelled: () => cancelled };
}

Deno.test("guardedBody passes a body through whole", async () => {
  const { stream } = source(["a", "b", "c"]);
  const out = guardedBody(stream, {
    idleMs: 1000,
    stopping: new AbortController().signal,
    clientMs: 10_000,
  });
  assert.equal(await new Response(out).text(), "abc");
});

Deno.test("guardedBody errors a body that stalls past idleMs, and cancels upstream", async () => {
  const { stream, wasCancelled } = source(["a", "b"], 1);
  const out = guardedBody(stream, {
    idleMs: 50,
    stopping: new AbortController().signal,
    clientMs: 10_000,
  });
  await assert.rejects(new Response(out).text(), /no data from GigaChat for 50 ms/);
  assert.equal(wasCancelled(), true);
});

Deno.test("guardedBody errors the body when shutdown stops waiting", async () => {
  const { stream, wasCancelled } = source(["a"], 1);
  const stopping = new AbortController();
  const out = guardedBody(stream, { idleMs: 10_000, stopping: stopping.signal, clientMs: 10_000 });
  const reading = new Response(out).text();
  setTimeout(() => stopping.abort(), 20);
  await assert.rejects(reading, /shutting down/);
  assert.equal(wasCancelled(), true);
});

Deno.test("guardedBody cuts a client that stopped reading, and lets go of upstream", async () => {
  let cancelled: unknown;
  let pulls = 0;
  const upstream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new Uint8Array(10));
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const cuts: string[] = [];
  const out = guardedBody(upstream, {
    idleMs: 10_000,
    stopping: new AbortController().signal,
    clientMs: 50,
    cut: () => (cuts.push("cut"), true),
  });
  const reader = out.getReader();
  await reader.read();
  // This client reads no more.
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.deepEqual(cuts, ["cut"]);
  assert.match(String(cancelled), /stopped reading/);
  assert.ok(pulls <= 3, `upstream read ${pulls} times`);
  reader.releaseLock();
});
