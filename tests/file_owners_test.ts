// Files belong to the proxy key that made them (issue #23, item 3): two proxy keys share the
// gateway's one GigaChat key, and neither may list, read, delete or reference the other's
// files, uploads and the images the gateway uploaded for its chats alike. In memory, and with
// REDIS_URL across two gateways.
import assert from "node:assert/strict";
import { DEMO_KEY, type Stack, startStack } from "./helpers/stack.ts";
import { freePort } from "./helpers/free_port.ts";
import { PASSWORD, startRedis } from "./helpers/redis_server.ts";
import { needs } from "./helpers/system_programs.ts";

const KEYS = { alice: "alice-key-123", bob: "bob-key-456" } as const;
type Who = keyof typeof KEYS;
const SERVER_SIDE = {
  GIGACHAT_CREDENTIALS: DEMO_KEY,
  PROXY_API_KEYS: `${KEYS.alice},${KEYS.bob}`,
};
const PNG = `data:image/png;base64,${
  btoa(String.fromCharCode(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 7, 7))
}`;

function as(stack: Stack, who: Who, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${KEYS[who]}`);
  return fetch(`${stack.baseURL}${path}`, { ...init, headers });
}

async function upload(stack: Stack, who: Who, name: string): Promise<string> {
  const form = new FormData();
  form.set("purpose", "assistants");
  form.set("file", new Blob([`notes of ${who}`], { type: "text/plain" }), name);
  const response = await as(stack, who, "/files", { method: "POST", body: form });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.id;
}

async function listed(stack: Stack, who: Who): Promise<string[]> {
  const response = await as(stack, who, "/files");
  assert.equal(response.status, 200);
  return (await response.json()).data.map((file: { id: string }) => file.id);
}

/** A chat that sends one image as a data URL: the gateway uploads it for `who`. */
async function chatWithImage(stack: Stack, who: Who): Promise<void> {
  const response = await as(stack, who, "/chat/completions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model: "GigaChat-2-Max",
      messages: [{
        role: "user",
        content: [{ type: "text", text: "what is it" }, {
          type: "image_url",
          image_url: { url: PNG },
        }],
      }],
    }),
  });
  assert.equal(response.status, 200, await response.text());
}

async function refusedEverywhere(stack: Stack, who: Who, id: string): Promise<void> {
  for (const path of [`/files/${id}`, `/files/${id}/content`]) {
    const response = await as(stack, who, path);
    const body = await response.json();
    assert.equal(response.status, 404, `${who} GET ${path}: ${JSON.stringify(body)}`);
    assert.equal(body.error.code, "file_not_found");
  }
  const deleted = await as(stack, who, `/files/${id}`, { method: "DELETE" });
  assert.equal(deleted.status, 404, `${who} DELETE`);
  await deleted.body?.cancel();
  const referenced = await as(stack, who, "/chat/completions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: [{ type: "file", file: { file_id: id } }] }],
    }),
  });
  const body = await referenced.json();
  assert.equal(referenced.status, 404, `${who} references ${id}: ${JSON.stringify(body)}`);
  assert.equal(body.error.param, "messages[0].content[0]");
  const viaResponses = await as(stack, who, "/responses", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model: "GigaChat-2-Max",
      input: [{ role: "user", content: [{ type: "input_file", file_id: id }] }],
    }),
  });
  const responsesBody = await viaResponses.json();
  assert.equal(viaResponses.status, 404, JSON.stringify(responsesBody));
  assert.equal(responsesBody.error.param, "input[0].content[0]");
}

async function checkScoping(first: Stack, second: Stack): Promise<void> {
  const alices = await upload(first, "alice", "alice.txt");
  const bobs = await upload(second, "bob", "bob.txt");
  await chatWithImage(first, "alice");
  const aliceSees = await listed(second, "alice");
  const bobSees = await listed(first, "bob");
  assert.ok(aliceSees.includes(alices), "alice lists her upload, on either instance");
  assert.equal(aliceSees.length, 2, "her upload and the image uploaded for her chat");
  assert.deepEqual(bobSees, [bobs], "bob lists only his own");
  const aliceImage = aliceSees.find((id) => id !== alices)!;
  await refusedEverywhere(second, "bob", alices);
  await refusedEverywhere(first, "bob", aliceImage);
  await refusedEverywhere(second, "alice", bobs);
  // Each still reaches their own, then deletes it.
  const own = await as(second, "alice", `/files/${alices}/content`);
  assert.equal(await own.text(), "notes of alice");
  const deleted = await as(first, "bob", `/files/${bobs}`, { method: "DELETE" });
  assert.equal(deleted.status, 200);
  await deleted.body?.cancel();
  assert.deepEqual(await listed(second, "bob"), []);
  // The same image sent by bob is bob's own upload, never alice's cached file.
  await chatWithImage(first, "bob");
  const bobImage = await listed(first, "bob");
  assert.equal(bobImage.length, 1);
  assert.notEqual(bobImage[0], aliceImage);
}

Deno.test("server-side mode: files belong to the proxy key that made them", async () => {
  const stack = await startStack({ env: SERVER_SIDE });
  try {
    await checkScoping(stack, stack);
  } finally {
    await stack.close();
  }
});

Deno.test({
  name: "server-side mode with REDIS_URL: file owners are shared by two gateways",
  ...needs("redis-server"),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const port = freePort();
    const redis = await startRedis(dir, port);
    const env = { ...SERVER_SIDE, REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}` };
    const first = await startStack({ env });
    // The second gateway talks to the first one's fake GigaChat: one account, two instances.
    const second = await startStack({ env, sharedFake: first.fake });
    try {
      await checkScoping(first, second);
    } finally {
      await second.close();
      await first.close();
      redis.kill("SIGKILL");
      await redis.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
