// The SSRF guard with the resolver and fetch stubbed: private and metadata ranges are checked
// here, never by sending anything there.
import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import { fetchImage, type ImageFetchOptions } from "../../../lib/vision/fetch_image.ts";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

function options(dns: Record<string, string[]>, answers: Record<string, Response>) {
  const fetched: string[] = [];
  const opts: ImageFetchOptions = {
    allowPrivate: false,
    timeoutMs: 1000,
    resolve: (host) => Promise.resolve(dns[host] ?? []),
    fetch: (request) => {
      fetched.push(request.url);
      return Promise.resolve(answers[request.url] ?? new Response("missing", { status: 404 }));
    },
  };
  return { opts, fetched };
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

Deno.test("fetchImage refuses hosts that resolve to private, metadata and local ranges", async (t) => {
  const rows = [
    ["10.0.0.5"],
    ["172.16.4.4"],
    ["192.168.0.10"],
    ["169.254.169.254"],
    ["100.64.1.1"],
    ["fd00::1"],
    ["fe80::1"],
    ["::ffff:10.0.0.1"],
    ["8.8.8.8", "127.0.0.1"],
  ];
  for (const addresses of rows) {
    await t.step(addresses.join(","), async () => {
      const { opts, fetched } = options({ "img.test": addresses }, {});
      const error = await refusal(
        fetchImage("https://img.test/a.png", "messages[0].content[1]", opts),
      );
      assert.equal(error.code, "image_url_forbidden");
      assert.equal(error.param, "messages[0].content[1]");
      assert.deepEqual(fetched, [], "nothing was fetched");
    });
  }
});

Deno.test("fetchImage checks every redirect and stops at the fourth", async () => {
  const redirect = (to: string) => new Response(null, { status: 302, headers: { location: to } });
  const dns = { "img.test": ["93.184.216.34"], "cdn.test": ["93.184.216.35"] };
  {
    const { opts, fetched } = options(dns, {
      "https://img.test/a.png": redirect("http://127.0.0.1:9/secret"),
    });
    const error = await refusal(fetchImage("https://img.test/a.png", "p", opts));
    assert.equal(error.code, "image_url_forbidden");
    assert.deepEqual(fetched, ["https://img.test/a.png"], "the loopback hop was never fetched");
  }
  {
    const { opts, fetched } = options(dns, {
      "https://img.test/a.png": redirect("https://cdn.test/b.png"),
      "https://cdn.test/b.png": new Response(PNG, { headers: { "content-type": "image/png" } }),
    });
    const image = await fetchImage("https://img.test/a.png", "p", opts);
    assert.deepEqual(image.bytes, PNG);
    assert.equal(fetched.length, 2);
  }
  {
    const { opts } = options(dns, {
      "https://img.test/1": redirect("/2"),
      "https://img.test/2": redirect("/3"),
      "https://img.test/3": redirect("/4"),
      "https://img.test/4": redirect("/5"),
    });
    const error = await refusal(fetchImage("https://img.test/1", "p", opts));
    assert.equal(error.code, "image_fetch_failed");
    assert.match(error.message, /more than 3 redirects/);
  }
});

Deno.test("fetchImage stops reading past the size limit and refuses what does not resolve", async () => {
  const dns = { "img.test": ["93.184.216.34"] };
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(1024));
    },
  });
  const { opts } = options(dns, { "https://img.test/big": new Response(endless) });
  const big = await refusal(fetchImage("https://img.test/big", "p", { ...opts, maxBytes: 10_000 }));
  assert.equal(big.code, "image_too_large");
  const nowhere = await refusal(fetchImage("https://nowhere.test/x", "p", opts));
  assert.equal(nowhere.code, "image_fetch_failed");
});

Deno.test("fetchImage with allowPrivate fetches private addresses", async () => {
  const { opts, fetched } = options({}, {
    "http://10.0.0.5/a.png": new Response(PNG),
  });
  const image = await fetchImage("http://10.0.0.5/a.png", "p", { ...opts, allowPrivate: true });
  assert.deepEqual(image.bytes, PNG);
  assert.deepEqual(fetched, ["http://10.0.0.5/a.png"]);
});
