// Image URLs served by a loopback host that misbehaves: redirects, errors, oversized, stalled
// and broken bodies, the wrong type. Each is a 400 naming the message part, and the gateway
// goes on serving. The real download path runs (node:http with the pinned lookup); only the
// address check is lifted, because the host is on loopback.
import assert from "node:assert/strict";
import { postTo, type Stack, withStack } from "./helpers/stack.ts";

const PNG = new Uint8Array(64);
PNG.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MB = 1024 * 1024;

/** A loopback image host whose paths each misbehave in one way; it counts what it served. */
function misbehavingHost() {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    hits.push(path);
    const redirect = /^\/hop(\d+)-(\d+)$/.exec(path);
    if (redirect) {
      // /hopN-S: N more redirects with status S, then the image.
      const left = Number(redirect[1]);
      const to = left === 0 ? "/cat.png" : `/hop${left - 1}-${redirect[2]}`;
      return new Response(null, { status: Number(redirect[2]), headers: { location: to } });
    }
    switch (path) {
      case "/cat.png":
        return new Response(PNG, { headers: { "content-type": "image/png" } });
      case "/to-file":
        return new Response(null, { status: 302, headers: { location: "file:///etc/passwd" } });
      case "/missing":
        return new Response("<h1>Not Found</h1>", { status: 404 });
      case "/broken":
        return new Response("oops", { status: 500 });
      case "/declared-huge":
        // Declares 16 MB and would send them: refused on the header.
        return new Response(new Uint8Array(16 * MB), { headers: { "content-type": "image/png" } });
      case "/undeclared-huge": {
        let sent = 0;
        return new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              const chunk = new Uint8Array(256 * 1024);
              if (sent === 0) chunk.set(PNG);
              sent += chunk.byteLength;
              controller.enqueue(chunk);
              if (sent > 17 * MB) controller.close();
            },
          }),
          { headers: { "content-type": "image/png" } },
        );
      }
      case "/stall":
        return new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(PNG.slice(0, 8));
              // Nothing more until the gateway gives up and hangs up.
              request.signal.addEventListener("abort", () => controller.close());
            },
          }),
          { headers: { "content-type": "image/png" } },
        );
      case "/reset":
        return new Response(
          new ReadableStream<Uint8Array>({
            async start(controller) {
              controller.enqueue(PNG.slice(0, 16));
              await new Promise((resolve) => setTimeout(resolve, 20));
              controller.error(new Error("the image host breaks the connection"));
            },
          }),
          { headers: { "content-type": "image/png" } },
        );
      case "/page.html":
        return new Response("<!doctype html><p>not an image</p>", {
          headers: { "content-type": "text/html" },
        });
      default:
        return new Response("no route", { status: 404 });
    }
  });
  return {
    url: (path: string) => `http://127.0.0.1:${server.addr.port}${path}`,
    hits,
    close: () => server.shutdown(),
  };
}

function askAbout(url: string) {
  return {
    model: "GigaChat-2-Max",
    messages: [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
      {
        role: "user",
        content: [{ type: "text", text: "What is this?" }, {
          type: "image_url",
          image_url: { url },
        }],
      },
    ],
  };
}

async function expectPlainChatWorks(stack: Stack): Promise<void> {
  const response = await postTo(stack, "/chat/completions", {
    model: "GigaChat-2-Max",
    messages: [{ role: "user", content: "still there?" }],
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
}

Deno.test("image hosts that misbehave each give a 400 naming the part, and the gateway goes on", async (t) => {
  const host = misbehavingHost();
  const rows: { path: string; code: string; text: RegExp; hits?: string[] }[] = [
    {
      path: "/hop4-302",
      code: "image_fetch_failed",
      text: /more than 3 redirects/,
      hits: ["/hop4-302", "/hop3-302", "/hop2-302", "/hop1-302"],
    },
    { path: "/hop5-307", code: "image_fetch_failed", text: /more than 3 redirects/ },
    { path: "/to-file", code: "image_url_forbidden", text: /only http and https/ },
    { path: "/missing", code: "image_fetch_failed", text: /HTTP 404/ },
    { path: "/broken", code: "image_fetch_failed", text: /HTTP 500/ },
    { path: "/declared-huge", code: "image_too_large", text: /15 MB/ },
    { path: "/undeclared-huge", code: "image_too_large", text: /15 MB/ },
    { path: "/stall", code: "image_fetch_failed", text: /no answer within 400 ms/ },
    { path: "/reset", code: "image_fetch_failed", text: /broke off/ },
    { path: "/page.html", code: "unsupported_image_type", text: /text\/html/ },
  ];
  try {
    await withStack({
      env: { ALLOW_PRIVATE_IMAGE_URLS: "true", IMAGE_FETCH_TIMEOUT_MS: "400" },
    }, async (stack) => {
      await t.step(
        "a chain of 2 redirects (301, 302, 307) within the limit is followed",
        async () => {
          for (const status of [301, 302, 307]) {
            host.hits.length = 0;
            const response = await postTo(
              stack,
              "/chat/completions",
              askAbout(host.url(`/hop2-${status}`)),
            );
            assert.equal(response.status, 200, await response.clone().text());
            await response.body?.cancel();
            assert.deepEqual(host.hits, [
              `/hop2-${status}`,
              `/hop1-${status}`,
              `/hop0-${status}`,
              "/cat.png",
            ]);
          }
        },
      );
      for (const row of rows) {
        await t.step(row.path, async () => {
          host.hits.length = 0;
          const response = await postTo(stack, "/chat/completions", askAbout(host.url(row.path)));
          const { error } = await response.json();
          assert.equal(response.status, 400, JSON.stringify(error));
          assert.equal(error.code, row.code);
          assert.equal(error.param, "messages[2].content[1]");
          assert.match(error.message, row.text);
          if (row.hits) assert.deepEqual(host.hits, row.hits, "each hop was requested once");
          await expectPlainChatWorks(stack);
        });
      }
      // Whatever the image host's connections did afterwards must not have ended the process.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expectPlainChatWorks(stack);
      // The three good answers were the same bytes: one upload, then the upload cache.
      assert.equal(stack.fake.files.uploads.length, 1);
      assert.ok(
        !stack.logRecords().some((record) => record.level === "error"),
        "no error line in the log",
      );
    });
  } finally {
    await host.close();
  }
});
