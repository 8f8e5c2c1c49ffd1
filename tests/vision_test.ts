import assert from "node:assert/strict";
import OpenAI, { toFile } from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { postTo, withStack } from "./helpers/stack.ts";

/** A PNG signature plus distinct filler, so each image has its own SHA-256. */
function png(seed: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(64);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  bytes.fill(seed & 0xff, 8);
  return bytes;
}

function dataUrl(bytes: Uint8Array, type = "image/png"): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:${type};base64,${btoa(binary)}`;
}

function imageMessage(url: string, text = "What is this?"): ChatCompletionMessageParam {
  return {
    role: "user",
    content: [{ type: "text", text }, { type: "image_url", image_url: { url } }],
  };
}

/** A loopback HTTP server that serves one PNG and counts its requests. */
function imageServer() {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    hits++;
    return new Response(png(7), { headers: { "content-type": "image/png" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/cat.png`,
    port: server.addr.port,
    hits: () => hits,
    close: () => server.shutdown(),
  };
}

Deno.test("vision: a data-URL image is uploaded and attached; the next turn reuses the upload", async () => {
  await withStack({}, async (stack, ai) => {
    const conversation = [imageMessage(dataUrl(png(1)))];
    await ai.chat.completions.create({ model: "GigaChat-2-Max", messages: conversation });
    const [first] = stack.fake.chatBodies();
    const user = (first.messages as { content: string; attachments?: string[] }[])[0];
    assert.equal(user.content, "What is this?");
    assert.equal(user.attachments?.length, 1);
    assert.deepEqual(stack.fake.files.uploads.map((u) => [u.mime, u.purpose]), [[
      "image/png",
      "general",
    ]]);

    await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [...conversation, { role: "assistant", content: "A cat." }, {
        role: "user",
        content: "Sure?",
      }],
    });
    assert.equal(stack.fake.files.uploads.length, 1, "the second turn hit the upload cache");
    const second = stack.fake.chatBodies()[1].messages as { attachments?: string[] }[];
    assert.deepEqual(second[0].attachments, user.attachments);
  });
});

Deno.test("vision: an http image URL is fetched only with ALLOW_PRIVATE_IMAGE_URLS=true", async () => {
  const images = imageServer();
  try {
    await withStack({}, async (_stack, ai) => {
      await assert.rejects(
        ai.chat.completions.create({
          model: "GigaChat-2-Pro",
          messages: [imageMessage(images.url)],
        }),
        (error: unknown) =>
          error instanceof OpenAI.BadRequestError && error.code === "image_url_forbidden",
      );
      assert.equal(images.hits(), 0);
    });
    await withStack({ env: { ALLOW_PRIVATE_IMAGE_URLS: "true" } }, async (stack, ai) => {
      const reply = await ai.chat.completions.create({
        model: "GigaChat-2-Pro",
        messages: [imageMessage(images.url)],
      });
      assert.equal(reply.choices[0].finish_reason, "stop");
      assert.equal(images.hits(), 1);
      assert.equal(stack.fake.files.uploads[0].mime, "image/png");
    });
  } finally {
    await images.close();
  }
});

Deno.test("vision: loopback and non-http URLs are refused without a single request", async (t) => {
  const images = imageServer();
  try {
    await withStack({}, async (stack) => {
      const urls = [
        images.url,
        `http://[::1]:${images.port}/cat.png`,
        `http://localhost:${images.port}/cat.png`,
        `http://2130706433:${images.port}/cat.png`,
        `http://0x7f.1:${images.port}/cat.png`,
        "file:///etc/passwd",
        "ftp://127.0.0.1/cat.png",
      ];
      for (const url of urls) {
        await t.step(url, async () => {
          const response = await postTo(stack, "/chat/completions", {
            model: "GigaChat-2-Max",
            messages: [imageMessage(url)],
          });
          assert.equal(response.status, 400);
          const body = await response.json();
          assert.equal(body.error.code, "image_url_forbidden");
          assert.equal(body.error.param, "messages[0].content[1]");
        });
      }
      assert.equal(images.hits(), 0, "nothing was sent to the loopback server");
      assert.equal(stack.fake.chatBodies().length, 0);
    });
  } finally {
    await images.close();
  }
});

Deno.test("vision: each limit is a 400 naming the message", async (t) => {
  const gif = new TextEncoder().encode("GIF89a....................");
  const rows: {
    name: string;
    model?: string;
    messages: ChatCompletionMessageParam[];
    code: string;
    text?: RegExp;
  }[] = [
    {
      name: "gif",
      messages: [imageMessage(dataUrl(gif, "image/gif"))],
      code: "unsupported_image_type",
      text: /image\/gif/,
    },
    {
      name: "over 15 MB",
      messages: [imageMessage(dataUrl(new Uint8Array(15 * 1024 * 1024 + 3)))],
      code: "image_too_large",
    },
    {
      name: "bad base64",
      messages: [imageMessage("data:image/png;base64,@@@")],
      code: "invalid_base64",
    },
    {
      name: "two images in one message",
      messages: [{
        role: "user",
        content: [
          { type: "image_url", image_url: { url: dataUrl(png(1)) } },
          { type: "image_url", image_url: { url: dataUrl(png(2)) } },
        ],
      }],
      code: "too_many_images",
    },
    {
      name: "a model that cannot see",
      model: "GigaChat-2",
      messages: [imageMessage(dataUrl(png(1)))],
      code: "model_not_vision_capable",
      text: /GigaChat-2-Max/,
    },
  ];
  await withStack({}, async (stack) => {
    for (const row of rows) {
      await t.step(row.name, async () => {
        const response = await postTo(stack, "/chat/completions", {
          model: row.model ?? "GigaChat-2-Max",
          messages: row.messages,
        });
        assert.equal(response.status, 400);
        const { error } = await response.json();
        assert.equal(error.code, row.code);
        assert.match(error.param, /^messages\[0\]\.content\[\d\]$/);
        if (row.text) assert.match(error.message, row.text);
      });
    }
    assert.equal(stack.fake.files.uploads.length, 0);
  });
});

Deno.test("vision: beyond 10 images the newest 10 are sent and a header says so", async () => {
  await withStack({}, async (stack, ai) => {
    const messages: ChatCompletionMessageParam[] = [];
    for (let i = 0; i < 12; i++) {
      messages.push(imageMessage(dataUrl(png(i)), `image ${i}`));
      messages.push({ role: "assistant", content: `seen ${i}` });
    }
    messages.push({ role: "user", content: "Compare them" });
    const { response } = await ai.chat.completions.create({ model: "GigaChat-2-Max", messages })
      .withResponse();
    assert.equal(response.headers.get("x-gateway-images-dropped"), "2");
    const sent = stack.fake.chatBodies()[0].messages as {
      content: string;
      attachments?: string[];
    }[];
    const attached = sent.filter((m) => m.attachments?.length);
    assert.equal(attached.length, 10);
    assert.match(sent[0].content, /^image 0\n\[An earlier image was left out/);
    assert.equal(sent[0].attachments, undefined);
    assert.equal(stack.fake.files.uploads.length, 10);
  });
});

Deno.test("vision: file parts, by file_data or by a file_id from /v1/files", async () => {
  await withStack({}, async (stack, ai) => {
    const uploaded = await ai.files.create({
      file: await toFile(png(9), "diagram.png", { type: "image/png" }),
      purpose: "vision",
    });
    await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Read this" },
            {
              type: "file",
              file: { filename: "notes.txt", file_data: `data:text/plain;base64,${btoa("hello")}` },
            },
          ],
        },
        { role: "assistant", content: "Done." },
        {
          role: "user",
          content: [{ type: "text", text: "And this" }, {
            type: "file",
            file: { file_id: uploaded.id },
          }],
        },
      ],
    });
    const sent = stack.fake.chatBodies()[0].messages as { attachments?: string[] }[];
    assert.equal(sent[0].attachments?.length, 1);
    assert.deepEqual(sent[2].attachments, [uploaded.id]);
    assert.deepEqual(stack.fake.files.uploads.map((u) => u.mime), ["image/png", "text/plain"]);
  });
});

Deno.test("vision: an image upload that meets a 503 is retried; one that meets a 401 refreshes the token", async () => {
  await withStack({}, async (stack, ai) => {
    stack.fake.inject({ path: "/files", status: 503 });
    await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [imageMessage(dataUrl(png(21)))],
    });
    assert.equal(stack.fake.requestsTo("/files").length, 2, "the upload was sent again");
    assert.equal(stack.fake.files.uploads.length, 1);

    stack.fake.revokeTokens();
    await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [imageMessage(dataUrl(png(22)))],
    });
    assert.equal(stack.fake.oauthCalls, 2, "the refused token was replaced");
    assert.equal(stack.fake.files.uploads.length, 2);
  });
});

Deno.test("vision: an image sent as a file part meets the same rules as an image_url", async (t) => {
  const imageFile = (seed: number, named = true) => ({
    type: "file" as const,
    file: { file_data: dataUrl(png(seed)), ...(named ? { filename: `photo${seed}.png` } : {}) },
  });
  const rawFile = (seed: number) => ({
    type: "file" as const,
    // No type, no name: only the bytes say it is a PNG.
    file: { file_data: dataUrl(png(seed)).replace(/^data:image\/png;base64,/, "") },
  });
  await withStack({}, async (stack) => {
    await t.step("two in one message", async () => {
      const response = await postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: [imageFile(1), rawFile(2)] }],
      });
      assert.equal(response.status, 400);
      const { error } = await response.json();
      assert.equal(error.code, "too_many_images");
      assert.equal(error.param, "messages[0].content[1]");
    });
    await t.step("to a model that cannot see", async () => {
      const response = await postTo(stack, "/chat/completions", {
        model: "GigaChat-2",
        messages: [{ role: "user", content: [imageFile(1, false)] }],
      });
      assert.equal(response.status, 400);
      assert.equal((await response.json()).error.code, "model_not_vision_capable");
    });
    await t.step("beyond ten, the newest ten", async () => {
      const messages = [];
      for (let i = 0; i < 12; i++) {
        messages.push({ role: "user", content: [{ type: "text", text: `#${i}` }, rawFile(i)] });
        messages.push({ role: "assistant", content: "ok" });
      }
      messages.push({ role: "user", content: "which?" });
      const response = await postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        messages,
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-gateway-images-dropped"), "2");
      await response.body?.cancel();
    });
    const pdf = await postTo(stack, "/chat/completions", {
      model: "GigaChat-2",
      messages: [{
        role: "user",
        content: [{
          type: "file",
          file: {
            filename: "a.pdf",
            file_data: `data:application/pdf;base64,${btoa("%PDF-1.4 x")}`,
          },
        }, {
          type: "file",
          file: {
            filename: "b.pdf",
            file_data: `data:application/pdf;base64,${btoa("%PDF-1.4 y")}`,
          },
        }],
      }],
    });
    assert.equal(pdf.status, 200, "documents are not images: two in one message to any model");
    await pdf.body?.cancel();
  });
});
