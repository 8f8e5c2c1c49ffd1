// A pool of GigaChat credentials (issue #27): caps per credential that GigaChat's per-account
// limit never sees exceeded, a credential GigaChat limits or refuses passed over for the others,
// files answered by the account that holds them, fallbacks when no credential can take a model.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { FakeGigaChat } from "../fake_gigachat/server.ts";
import { startStack } from "./helpers/stack.ts";

const ALL = ["GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"];
const PROXY_KEY = "proxy-key-for-pool-tests";

/** Three accounts, one per way of authenticating: caps 1, 1 and 2. */
const POOL = [
  { name: "alpha", credentials: "key-alpha", concurrency: 1 },
  { name: "bravo", user: "anna", password: "pa:ss", concurrency: 1 },
  { name: "charlie", access_token: "token-charlie", concurrency: 2 },
];
const FAKE = {
  keys: { "key-alpha": ALL },
  users: { anna: "pa:ss" },
  staticTokens: ["token-charlie"],
  caps: { "key-alpha": 1, "user:anna": 1, "token-charlie": 2 },
};

function poolStack(
  options: { pool?: unknown[]; fake?: Record<string, unknown>; env?: Record<string, string> } = {},
) {
  return startStack({
    fake: { ...FAKE, ...options.fake },
    env: {
      GIGACHAT_POOL: JSON.stringify(options.pool ?? POOL),
      PROXY_API_KEYS: PROXY_KEY,
      QUEUE_TIMEOUT_MS: "20000",
      ...options.env,
    },
  });
}

async function chat(
  baseURL: string,
  model = "GigaChat-2-Max",
  extra: Record<string, unknown> = {},
) {
  const response = await fetch(`${baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${PROXY_KEY}` },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Hi" }], ...extra }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

function logged(lines: Record<string, unknown>[], msg: string) {
  return lines.filter((line) => line.msg === msg);
}

Deno.test("pool: a burst goes through caps 1, 1 and 2, never over any, no 429 to a client", async () => {
  const stack = await poolStack({ fake: { chunkDelayMs: 20 } });
  try {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: PROXY_KEY, maxRetries: 0 });
    const answers = await Promise.all(Array.from({ length: 16 }, async (_, i) => {
      const stream = await client.chat.completions.create({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: `count ${i} to three please` }],
        stream: true,
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    }));
    assert.equal(answers.length, 16);
    assert.ok(answers.every((text) => text.length > 0));
    assert.equal(stack.fake.capRefusals, 0, "GigaChat never refused one over a cap");
    assert.deepEqual(
      Object.fromEntries(stack.fake.maxActiveByAccount),
      { "key-alpha": 1, "user:anna": 1, "token-charlie": 2 },
    );
    // Which credential served each request is in the log, by name; the client never sees it.
    const served = new Set(
      stack.logRecords().filter((line) => line.msg === "request").map((line) => line.credential),
    );
    assert.deepEqual([...served].sort(), ["alpha", "bravo", "charlie"]);
    assert.ok(stack.logs.every((line) => !/key-alpha|pa:ss|token-charlie/.test(line)));
  } finally {
    await stack.close();
  }
});

Deno.test("pool: a credential GigaChat limits cools down; the request goes on with another", async () => {
  const stack = await poolStack();
  try {
    stack.fake.refuseAccount("key-alpha", 429);
    stack.fake.refuseAccount("user:anna", 429);
    const { status, body } = await chat(stack.baseURL);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.object, "chat.completion");
    const cooling = logged(stack.logRecords(), "GigaChat credential cooling down");
    assert.deepEqual(cooling.map((line) => [line.credential, line.for_s]).sort(), [
      ["alpha", 30],
      ["bravo", 30],
    ]);
    // Cooling ones are passed over: the next goes straight to charlie.
    const before = stack.fake.requestsTo("/chat/completions").length;
    assert.equal((await chat(stack.baseURL)).status, 200);
    assert.equal(stack.fake.requestsTo("/chat/completions").length, before + 1);
    const metrics = await (await fetch(`${stack.origin}/metrics`, {
      headers: { authorization: `Bearer ${PROXY_KEY}` },
    })).text();
    assert.match(
      metrics,
      /gigachat_gateway_credential_state\{credential="alpha",state="cooling"\} 1/,
    );
    assert.match(
      metrics,
      /gigachat_gateway_credential_failures_total\{credential="bravo",reason="rate_limited"\} 1/,
    );
    // All three cooling: a 429 that says when to come back.
    stack.fake.refuseAccount("token-charlie", 429);
    const all = await chat(stack.baseURL);
    assert.equal(all.status, 429);
    assert.equal(all.body.error.code, "credentials_busy");
    assert.ok(Number(all.headers.get("retry-after")) > 0);
  } finally {
    await stack.close();
  }
});

Deno.test("pool: a refused credential is taken out, named in the log, /ready and /metrics", async () => {
  const stack = await poolStack();
  try {
    stack.fake.refuseAccount("key-alpha", 401);
    stack.fake.refuseAccount("user:anna", 402);
    for (let i = 0; i < 3; i++) assert.equal((await chat(stack.baseURL)).status, 200);
    const out = logged(stack.logRecords(), "GigaChat credential taken out");
    assert.deepEqual(out.map((line) => [line.level, line.credential, line.reason]).sort(), [
      ["error", "alpha", "refused by GigaChat"],
      ["error", "bravo", "balance used up"],
    ]);
    const ready = await (await fetch(`${stack.origin}/ready`)).json();
    assert.equal(ready.status, "ready");
    assert.deepEqual(
      ready.credentials.map((c: Record<string, unknown>) => [c.name, c.state, c.reason]),
      [["alpha", "out", "refused"], ["bravo", "out", "balance"], ["charlie", "ready", undefined]],
    );
    // Out ones are not asked again until POOL_RETRY_MS: every chat since went to charlie.
    const chats = stack.fake.requestsTo("/chat/completions");
    assert.ok(chats.slice(-2).every((r) => r.headers.authorization === "Bearer token-charlie"));
    stack.fake.refuseAccount("token-charlie", 403);
    const none = await chat(stack.baseURL);
    assert.equal(none.status, 503);
    assert.equal(none.body.error.code, "gateway_misconfigured");
    assert.match(none.body.error.message, /your key is fine/);
    assert.doesNotMatch(JSON.stringify(none.body), /alpha|bravo|charlie/, "names stay inside");
  } finally {
    await stack.close();
  }
});

Deno.test("pool: models per credential, and fallbacks when none can take a model", async () => {
  const stack = await poolStack({
    pool: [
      { name: "alpha", credentials: "key-alpha", concurrency: 1, models: ["GigaChat-2-Max"] },
      { name: "charlie", access_token: "token-charlie", concurrency: 2, models: ["GigaChat-2"] },
    ],
    env: { MODEL_FALLBACKS: '{"GigaChat-2-Max":["GigaChat-2"]}' },
  });
  try {
    const max = await chat(stack.baseURL, "GigaChat-2-Max");
    assert.equal(max.status, 200);
    assert.equal(
      stack.fake.requestsTo("/chat/completions").at(-1)?.headers.authorization?.startsWith(
        "Bearer fake-token-",
      ),
      true,
    );
    stack.fake.refuseAccount("key-alpha", 401);
    const fallen = await chat(stack.baseURL, "GigaChat-2-Max");
    assert.equal(fallen.status, 200);
    assert.equal(fallen.body.model, "GigaChat-2");
    assert.equal(fallen.headers.get("x-gateway-fallback-model"), "GigaChat-2");
    // alpha is out now: the next goes to the fallback without asking GigaChat for alpha.
    const before = stack.fake.requestsTo("/chat/completions").length;
    assert.equal((await chat(stack.baseURL, "GigaChat-2-Max")).body.model, "GigaChat-2");
    assert.equal(stack.fake.requestsTo("/chat/completions").length, before + 1);
    const unknown = await chat(stack.baseURL, "GigaChat-2-Pro");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, "model_not_found");
  } finally {
    await stack.close();
  }
});

Deno.test("pool: a file is answered by the account that holds it", async () => {
  const stack = await poolStack({
    pool: [
      { name: "alpha", credentials: "key-alpha", concurrency: 4 },
      { name: "charlie", access_token: "token-charlie", concurrency: 4 },
    ],
    fake: { filesPerAccount: true },
  });
  try {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: PROXY_KEY, maxRetries: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const file = await client.files.create({
        file: new File([`note ${i}`], `note-${i}.txt`, { type: "text/plain" }),
        purpose: "user_data",
      });
      ids.push(file.id);
    }
    // However the uploads spread, each file is read, used in a chat and deleted through its own
    // account: the fake keeps the accounts' files apart.
    const listed = await client.files.list();
    assert.deepEqual(listed.data.map((file) => file.id).sort(), [...ids].sort());
    for (const id of ids) {
      assert.equal((await client.files.retrieve(id)).id, id);
      const answer = await chat(stack.baseURL, "GigaChat-2-Max", {
        messages: [{
          role: "user",
          content: [{ type: "text", text: "read it" }, { type: "file", file: { file_id: id } }],
        }],
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    for (const id of ids) assert.equal((await client.files.delete(id)).deleted, true);
    assert.equal((await client.files.list()).data.length, 0);
  } finally {
    await stack.close();
  }
});

Deno.test("pool: a chat's image goes up through the credential that answers it", async () => {
  const stack = await poolStack({
    pool: [
      { name: "alpha", credentials: "key-alpha", concurrency: 4, models: ["GigaChat-2"] },
      {
        name: "charlie",
        access_token: "token-charlie",
        concurrency: 4,
        models: ["GigaChat-2-Max"],
      },
    ],
    fake: { filesPerAccount: true },
  });
  try {
    const png = new Uint8Array(64);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    png.fill(7, 8);
    const url = `data:image/png;base64,${btoa(String.fromCharCode(...png))}`;
    // alpha is picked first for the request (least busy, listed first), but serves another
    // model: the image must go to charlie's account, where the answer is made.
    const answer = await chat(stack.baseURL, "GigaChat-2-Max", {
      messages: [{
        role: "user",
        content: [{ type: "text", text: "what is it" }, { type: "image_url", image_url: { url } }],
      }],
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const upload = stack.fake.requestsTo("/files").at(-1);
    assert.equal(upload?.headers.authorization, "Bearer token-charlie");
  } finally {
    await stack.close();
  }
});

Deno.test("pool: a credential of a client certificate alone sends no token", async () => {
  const dir = await Deno.makeTempDir();
  const fake = await FakeGigaChat.start({ requireClientCert: true, certificateAccount: true });
  try {
    await Deno.writeTextFile(`${dir}/client.pem`, fake.tls.clientCertPem);
    await Deno.writeTextFile(`${dir}/client.key`, fake.tls.clientKeyPem);
    const stack = await startStack({
      sharedFake: fake,
      env: {
        GIGACHAT_POOL: JSON.stringify([{
          name: "corp",
          client_cert_file: `${dir}/client.pem`,
          client_key_file: `${dir}/client.key`,
          concurrency: 2,
        }]),
        PROXY_API_KEYS: PROXY_KEY,
      },
    });
    try {
      assert.equal((await chat(stack.baseURL)).status, 200);
      const sent = fake.requestsTo("/chat/completions").at(-1);
      assert.equal(sent?.headers.authorization, undefined);
      assert.equal(fake.oauthCalls + fake.tokenCalls, 0);
    } finally {
      await stack.close();
    }
    // A member's files are checked at start, the member named.
    await Deno.writeTextFile(
      `${dir}/encrypted.key`,
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    const member = (keyFile: string) =>
      JSON.stringify([{
        name: "corp",
        client_cert_file: `${dir}/client.pem`,
        client_key_file: keyFile,
      }]);
    await assert.rejects(
      startStack({ sharedFake: fake, env: { GIGACHAT_POOL: member(`${dir}/encrypted.key`) } }),
      /GIGACHAT_POOL entry 1 \("corp"\) client_key_file .* is encrypted.*openssl pkey/,
    );
    await assert.rejects(
      startStack({ sharedFake: fake, env: { GIGACHAT_POOL: member(`${dir}/missing.key`) } }),
      /GIGACHAT_POOL entry 1 \("corp"\) client_key_file .*missing.key does not exist/,
    );
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
