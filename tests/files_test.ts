import assert from "node:assert/strict";
import OpenAI, { toFile } from "openai";
import { DEMO_KEY, withStack } from "./helpers/stack.ts";

/** Bytes that are not valid UTF-8 and contain CRLF and dashes, to catch any text handling. */
function binary(size: number): Uint8Array<ArrayBuffer> {
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
    assert.equal(created.purpose, "assistants", "the client's purpose is echoed");
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

/** A multipart upload with `purpose` before or after the file part, or none. */
function uploadForm(purpose: string | undefined, where: "before" | "after"): FormData {
  const form = new FormData();
  if (purpose !== undefined && where === "before") form.set("purpose", purpose);
  form.set("file", new File([binary(2000)], "a.png", { type: "image/png" }));
  if (purpose !== undefined && where === "after") form.set("purpose", purpose);
  return form;
}

Deno.test("files: a missing or unknown purpose is a 400, wherever the field stands", async (t) => {
  await withStack({}, async (stack) => {
    const rows: { purpose: string | undefined; where: "before" | "after"; status: number }[] = [
      { purpose: undefined, where: "after", status: 400 },
      { purpose: "general", where: "before", status: 400 },
      { purpose: "general", where: "after", status: 400 },
      { purpose: "vision", where: "before", status: 200 },
      { purpose: "user_data", where: "after", status: 200 },
    ];
    for (const row of rows) {
      await t.step(`${row.purpose ?? "no purpose"} ${row.where} the file`, async () => {
        const before = stack.fake.files.uploads.length;
        const response = await fetch(`${stack.baseURL}/files`, {
          method: "POST",
          headers: { Authorization: `Bearer ${DEMO_KEY}` },
          body: uploadForm(row.purpose, row.where),
        });
        const body = await response.json();
        assert.equal(response.status, row.status, JSON.stringify(body));
        if (row.status === 200) {
          assert.equal(body.purpose, row.purpose);
          assert.equal(stack.fake.files.uploads.length, before + 1);
        } else {
          assert.equal(body.error.param, "purpose");
          assert.match(
            body.error.message,
            /assistants, batch, fine-tune, vision, user_data, evals/,
          );
          assert.equal(stack.fake.files.uploads.length, before, "GigaChat stored nothing");
        }
      });
    }
  });
});

Deno.test("files: list honours limit, after and order, and the SDK pages through it", async () => {
  await withStack({}, async (stack, ai) => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const file = await ai.files.create({
        file: await toFile(binary(200 + i), `f${i}.png`, { type: "image/png" }),
        purpose: "vision",
      });
      ids.push(file.id);
    }
    const all = (await ai.files.list({ order: "asc" })).data;
    assert.equal(all.length, 5);
    const asc = all.map((file) => file.id);
    assert.deepEqual([...asc].sort(), [...ids].sort());

    const first = await fetch(`${stack.baseURL}/files?limit=2&order=asc`, {
      headers: { Authorization: `Bearer ${DEMO_KEY}` },
    }).then((response) => response.json());
    assert.deepEqual(first.data.map((file: { id: string }) => file.id), asc.slice(0, 2));
    assert.equal(first.has_more, true);
    assert.equal(first.last_id, asc[1]);

    const paged: string[] = [];
    for await (const file of ai.files.list({ limit: 2, order: "asc" })) paged.push(file.id);
    assert.deepEqual(paged, asc, "auto-pagination sees every file once, in order");

    const desc = (await ai.files.list({ order: "desc" })).data.map((file) => file.id);
    assert.deepEqual(desc, [...asc].reverse());

    for (
      const [query, param] of [["limit=0", "limit"], ["order=up", "order"], ["after=nope", "after"]]
    ) {
      const response = await fetch(`${stack.baseURL}/files?${query}`, {
        headers: { Authorization: `Bearer ${DEMO_KEY}` },
      });
      assert.equal(response.status, 400, query);
      assert.equal((await response.json()).error.param, param);
    }
  });
});
