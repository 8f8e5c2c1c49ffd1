import assert from "node:assert/strict";
import type { StreamOutcome } from "../../../lib/http/sse_transport.ts";
import { sseTransport } from "../../../lib/http/sse_transport.ts";

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("sseTransport keeps reading after a round with nothing to send, and the idle clock starts over", async () => {
  // Three rounds of progress with no bytes, 40 ms apart (longer together than the idle timeout
  // of 100 ms, each shorter), then the answer: a pull that enqueued nothing must not stall the
  // stream, and progress must not count as silence.
  let round = 0;
  const outcomes: StreamOutcome[] = [];
  const stream = sseTransport({
    opening: () => [encode("open\n")],
    next: () =>
      new Promise((resolve) =>
        setTimeout(() => {
          round++;
          resolve(
            round <= 3 ? { bytes: [], done: false } : { bytes: [encode("answer\n")], done: true },
          );
        }, 40)
      ),
    closing: () => [encode("end\n")],
    failure: (error) => [encode(`error ${error.message}\n`)],
    release: (outcome) => outcomes.push(outcome),
  }, {
    keepaliveMs: 10_000,
    idleTimeoutMs: 100,
    clientTimeoutMs: 10_000,
    stopping: new AbortController().signal,
    onFailure: () => {},
    onEnd: () => {},
  });
  const text = await new Response(stream).text();
  assert.equal(text, "open\nanswer\nend\n");
  assert.equal(round, 4);
  assert.deepEqual(outcomes, ["complete"]);
});

Deno.test("sseTransport lets go of upstream when the client stops taking what waits for it", async () => {
  const outcomes: StreamOutcome[] = [];
  const ended: StreamOutcome[] = [];
  let reads = 0;
  const stream = sseTransport({
    opening: () => [encode("open\n")],
    next: () => Promise.resolve({ bytes: [encode(`piece ${++reads}\n`)], done: false }),
    closing: () => [],
    failure: () => [],
    release: (outcome) => outcomes.push(outcome),
  }, {
    keepaliveMs: 10_000,
    idleTimeoutMs: 10_000,
    clientTimeoutMs: 60,
    stopping: new AbortController().signal,
    onFailure: () => {},
    onEnd: (outcome) => ended.push(outcome),
  });
  const reader = stream.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "open\n");
  // The reader stops here: one piece waits for it, and upstream is not read further.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(outcomes, ["client_stalled"]);
  assert.deepEqual(ended, ["client_stalled"]);
  assert.ok(reads <= 2, `upstream was read ${reads} times`);
  await assert.rejects(reader.read(), /took nothing for 60 ms/);
});
