import assert from "node:assert/strict";
import { readLimited } from "../../../lib/io/read_limited.ts";

const encoder = new TextEncoder();

/** A stream yielding `pieces` one per pull, as bytes (BYOB-readable) or plain chunks. */
function streamOf(
  pieces: string[],
  type: "bytes" | "plain",
  onCancel = () => {},
): ReadableStream<Uint8Array> {
  let next = 0;
  const source = {
    pull(controller: ReadableStreamDefaultController | ReadableByteStreamController) {
      if (next < pieces.length) return controller.enqueue(encoder.encode(pieces[next++]));
      controller.close();
      // A pending BYOB read is only answered once the request is responded to.
      if ("byobRequest" in controller) controller.byobRequest?.respond(0);
    },
    cancel: onCancel,
  };
  return type === "bytes"
    ? new ReadableStream({ ...source, type: "bytes" })
    : new ReadableStream<Uint8Array>(source);
}

const byteStream = (pieces: string[]) => streamOf(pieces, "bytes");
const plainStream = (pieces: string[]) => streamOf(pieces, "plain");

const text = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

Deno.test("readLimited reads a body whole, whatever its length says", async (t) => {
  const body = "x".repeat(40_000) + "end";
  const pieces = [body.slice(0, 1), body.slice(1, 20_000), body.slice(20_000)];
  for (const declared of [undefined, body.length, 10, 1_000_000, Number.NaN]) {
    await t.step(`declared ${declared}`, async () => {
      assert.equal(text(await readLimited(byteStream(pieces), 100_000, declared)), body);
      assert.equal(text(await readLimited(plainStream(pieces), 100_000, declared)), body);
    });
  }
  await t.step("empty", async () => {
    assert.equal(text(await readLimited(byteStream([]), 10, 0)), "");
    assert.equal(text(await readLimited(byteStream([]), 10)), "");
  });
  await t.step("a Response body (what fetch returns)", async () => {
    const response = new Response(body, { headers: { "content-length": String(body.length) } });
    assert.equal(text(await readLimited(response.body!, Infinity, body.length)), body);
  });
});

Deno.test("readLimited stops past the limit and cancels the stream", async (t) => {
  for (const type of ["bytes", "plain"] as const) {
    await t.step(type, async () => {
      let cancelled = false;
      const stream = streamOf(["0123456789", "0123456789", "0123456789"], type, () => {
        cancelled = true;
      });
      assert.equal(await readLimited(stream, 25), undefined);
      assert.ok(cancelled, "the stream was cancelled");
    });
  }
  await t.step("exactly at the limit is fine", async () => {
    assert.equal(text(await readLimited(byteStream(["01234", "56789"]), 10, 10)), "0123456789");
    assert.equal(text(await readLimited(byteStream(["01234", "56789"]), 10)), "0123456789");
  });
  await t.step("one byte over is not", async () => {
    assert.equal(await readLimited(byteStream(["01234", "567890"]), 10, 10), undefined);
  });
});
