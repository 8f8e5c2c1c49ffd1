import assert from "node:assert/strict";
import OpenAI, { toFile } from "openai";
import { DEMO_KEY, withStack } from "./helpers/stack.ts";

/** Bytes that are not valid UTF-8 and contain CRLF and dashes, to catch any text handling. */
function binary(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) % 256;
  bytes.set(new TextEncoder().encode("\r\n--not-a-boundary\r\n"), 100);
  return bytes;
}

Deno.test("files: create, list, retrieve, content and delete through the openai client", async () => {
  await withStack({}, async (stack, ai) => {
    const bytes = binary(300_000);
    const created = await ai.files.create({
      file: await toFile(bytes, "photo.png", { type: "image/png" }),
      purpose: "assistants",
    });
    assert.equal(created.object, "file");
    assert.equal(created.filename, "photo.png");
    assert.equal(created.bytes, 300_000);
    assert.equal(created.purpose, "general");
    assert.deepEqual(stack.fake.files.uploads, [
      { purpose: "general", mime: "image/png", filename: "photo.png", size: 300_000 },
    ]);

    const listed = await ai.files.list();
    assert.deepEqual(listed.data.map((f) => f.id), [created.id]);

    const retrieved = await ai.files.retrieve(created.id);
    assert.equal(retrieved.bytes, 300_000);

    const content = await ai.files.content(created.id);
    assert.equal(content.headers.get("content-type"), "image/png");
    assert.deepEqual(new Uint8Array(await content.arrayBuffer()), bytes);

    const deleted = await ai.files.delete(created.id);
    assert.deepEqual(deleted, { id: created.id, object: "file", deleted: true });
    await assert.rejects(ai.files.retrieve(created.id), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      return true;
    });
  });
});

Deno.test("files: the type comes from the extension when the client sends a generic one", async () => {
  await withStack({}, async (stack, ai) => {
    await ai.files.create({
      file: await toFile(new TextEncoder().encode("%PDF-1.4 ..."), "report.pdf"),
      purpose: "user_data",
    });
    assert.equal(stack.fake.files.uploads[0].mime, "application/pdf");
  });
});

Deno.test("files: an unsupported type is a 415 listing the accepted ones, before any upload", async () => {
  await withStack({}, async (stack, ai) => {
    await assert.rejects(
      ai.files.create({
        file: await toFile(new Uint8Array([1, 2, 3]), "anim.gif", { type: "image/gif" }),
        purpose: "assistants",
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 415);
        assert.match(error.message, /anim\.gif.*image\/png/);
        return true;
      },
    );
    assert.equal(stack.fake.requestsTo("/files").length, 0);
  });
});

Deno.test("files: an image over 15 MB is a 413 and reaches GigaChat unfinished", async () => {
  await withStack({}, async (stack, ai) => {
    await assert.rejects(
      ai.files.create({
        file: await toFile(new Uint8Array(15 * 1024 * 1024 + 10), "big.jpg", {
          type: "image/jpeg",
        }),
        purpose: "vision",
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 413);
        assert.equal(error.code, "file_too_large");
        return true;
      },
    );
    assert.equal(stack.fake.files.uploads.length, 0, "no file was stored");
    const ok = await ai.files.list();
    assert.deepEqual(ok.data, [], "and the gateway still serves");
  });
});

Deno.test("files: a body that is not multipart is a 400", async () => {
  await withStack({}, async (stack) => {
    const response = await fetch(`${stack.baseURL}/files`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEMO_KEY}`, "Content-Type": "application/json" },
      body: "{}",
    });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error.param, "file");
  });
});
