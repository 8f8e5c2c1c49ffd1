// Every route that takes a body, fuzzed (issue #23, item 2): valid bodies of each dialect,
// mutated at one to three paths (null, a wrong type, an object where a string belongs, huge,
// deep, empty, an unknown type, a key left out). The property: never a 5xx, an error in the
// route's own shape, no error-level log line, and the gateway still serving.
// CI runs a fixed seed; elsewhere a random one, printed, so a failure can be replayed with
// FUZZ_SEED=<seed>. FUZZ_RUNS sets the cases per route.
import assert from "node:assert/strict";
import fc from "fast-check";
import { DEMO_KEY, postTo, type Stack, startStack } from "./helpers/stack.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? (Deno.env.get("CI") ? 2323 : Date.now() % 1e9));
const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 300);

const PNG = `data:image/png;base64,${
  btoa(String.fromCharCode(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 1, 2))
}`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const CHAT: Json = {
  model: "GigaChat-2-Max",
  messages: [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content: [{ type: "text", text: "What is here?" }, {
        type: "image_url",
        image_url: { url: PNG, detail: "low" },
      }],
    },
    {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "call_1",
        type: "function",
        function: { name: "look", arguments: '{"q":"x"}' },
      }],
    },
    { role: "tool", tool_call_id: "call_1", content: "a cat" },
    { role: "user", content: "And now?" },
  ],
  tools: [{
    type: "function",
    function: {
      name: "look",
      description: "Looks",
      parameters: { type: "object", properties: { q: { type: "string" } } },
    },
  }],
  tool_choice: "auto",
  temperature: 0.5,
  max_tokens: 50,
  stop: ["END"],
  stream: false,
};

const RESPONSES: Json = {
  model: "GigaChat-2-Max",
  instructions: "Be brief.",
  input: [
    {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "Look" }, { type: "input_image", image_url: PNG }],
    },
    { type: "reasoning", summary: [{ type: "summary_text", text: "thinking" }] },
    { type: "function_call", call_id: "call_1", name: "look", arguments: '{"q":"x"}' },
    { type: "function_call_output", call_id: "call_1", output: "a cat" },
    { type: "custom_tool_call", call_id: "call_2", name: "patch", input: "diff" },
    {
      type: "custom_tool_call_output",
      call_id: "call_2",
      output: [{ type: "input_text", text: "done" }],
    },
    { role: "assistant", content: [{ type: "output_text", text: "It is a cat." }] },
    { role: "user", content: "Thanks" },
  ],
  tools: [
    { type: "function", name: "look", parameters: { type: "object", properties: {} } },
    { type: "custom", name: "patch", description: "Applies a patch" },
    {
      type: "namespace",
      name: "files",
      tools: [{ type: "function", name: "read", parameters: { type: "object" } }],
    },
  ],
  tool_choice: "auto",
  text: { format: { type: "text" } },
  reasoning: { effort: "low", summary: "auto" },
  max_output_tokens: 100,
  store: false,
  stream: false,
};

const MESSAGES: Json = {
  model: "GigaChat-2-Max",
  max_tokens: 100,
  system: [{ type: "text", text: "Be brief." }],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "Look" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG.slice(22) } },
        {
          type: "document",
          source: { type: "text", media_type: "text/plain", data: "notes" },
          title: "notes",
        },
      ],
    },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "hmm", signature: "sig" },
        { type: "text", text: "Let me look." },
        { type: "tool_use", id: "toolu_1", name: "look", input: { q: "x" } },
      ],
    },
    {
      role: "user",
      content: [{
        type: "tool_result",
        tool_use_id: "toolu_1",
        content: [{ type: "text", text: "a cat" }],
        is_error: false,
      }],
    },
  ],
  tools: [{
    name: "look",
    description: "Looks",
    input_schema: { type: "object", properties: { q: { type: "string" } } },
  }],
  tool_choice: { type: "auto" },
  stop_sequences: ["END"],
  temperature: 0.5,
  thinking: { type: "enabled", budget_tokens: 1024 },
  stream: false,
};

const COUNT_TOKENS: Json = (() => {
  const { max_tokens: _, stream: __, ...rest } = MESSAGES as Record<string, Json>;
  return rest;
})();

const EMBEDDINGS: Json = { model: "Embeddings", input: ["one", "two"], encoding_format: "float" };

const GEMINI: Json = {
  systemInstruction: { role: "user", parts: [{ text: "Be brief." }] },
  contents: [
    {
      role: "user",
      parts: [{ text: "What is here?" }, {
        inlineData: { mimeType: "image/png", data: PNG.slice(PNG.indexOf(",") + 1) },
      }],
    },
    {
      role: "model",
      parts: [{
        functionCall: { id: "c1", name: "look", args: { q: "x" } },
        thoughtSignature: "skip_thought_signature_validator",
      }],
    },
    {
      role: "user",
      parts: [{ functionResponse: { id: "c1", name: "look", response: { output: "a cat" } } }],
    },
    { role: "user", parts: [{ text: "And now?" }] },
  ],
  tools: [
    {
      functionDeclarations: [
        {
          name: "look",
          description: "Looks",
          parameters: { type: "OBJECT", properties: { q: { type: "STRING" } } },
        },
        {
          name: "find",
          parametersJsonSchema: { type: "object", properties: { k: { type: "string" } } },
        },
      ],
    },
    { googleSearch: {} },
  ],
  toolConfig: { functionCallingConfig: { mode: "AUTO" } },
  generationConfig: {
    temperature: 0.5,
    topP: 0.9,
    maxOutputTokens: 50,
    stopSequences: ["END"],
    thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 },
  },
};

const GEMINI_COUNT: Json = { contents: (GEMINI as { contents: Json }).contents };

const GEMINI_EMBED: Json = {
  requests: [
    { model: "models/Embeddings", content: { parts: [{ text: "one" }] } },
    { content: { parts: [{ text: "two" }] }, taskType: "RETRIEVAL_QUERY" },
  ],
};

const GEMINI_MODEL = "/v1beta/models/GigaChat-2-Max";

interface Route {
  path: string;
  body: Json;
  /** Errors in Anthropic's shape (else OpenAI's). */
  anthropic: boolean;
  /** Errors in Google's shape. */
  google?: boolean;
  /** Where the same body streams, when a flag in the body does not say so (Gemini). */
  streamPath?: string;
  /** A dialect over the chat pipeline, whose errors must not speak of chat's fields. */
  translated: boolean;
}

/** The routes that take a JSON body, each with a valid body and the shape of its errors. */
const ROUTES: Route[] = [
  { path: "/chat/completions", body: CHAT, anthropic: false, translated: false },
  { path: "/responses", body: RESPONSES, anthropic: false, translated: true },
  { path: "/messages", body: MESSAGES, anthropic: true, translated: true },
  { path: "/messages/count_tokens", body: COUNT_TOKENS, anthropic: true, translated: true },
  { path: "/embeddings", body: EMBEDDINGS, anthropic: false, translated: false },
  {
    path: `${GEMINI_MODEL}:generateContent`,
    streamPath: `${GEMINI_MODEL}:streamGenerateContent?alt=sse`,
    body: GEMINI,
    anthropic: false,
    google: true,
    translated: true,
  },
  {
    path: `${GEMINI_MODEL}:countTokens`,
    body: GEMINI_COUNT,
    anthropic: false,
    google: true,
    translated: true,
  },
  {
    path: "/v1beta/models/Embeddings:batchEmbedContents",
    body: GEMINI_EMBED,
    anthropic: false,
    google: true,
    translated: false,
  },
];

const FILES: Route = { path: "/files", body: null, anthropic: false, translated: false };

const deep = (levels: number): Json => {
  let value: Json = "x";
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

/** What a mutation puts at a path; undefined removes the key. */
const REPLACEMENTS: readonly ((old: Json) => Json | undefined)[] = [
  () => null,
  () => undefined,
  () => 1.5,
  () => -1,
  () => 0,
  () => true,
  () => "x",
  () => "",
  () => ({ toString: 1 }),
  () => ({}),
  () => [],
  () => [null],
  () => ({ type: "zzz_unknown" }),
  () => "x".repeat(200_000),
  () => deep(200),
  (old) => Array.isArray(old) ? [...old, null] : [old],
  (old) => typeof old === "string" ? { type: "text", text: old } : JSON.stringify(old),
  (old) => Array.isArray(old) && old.length > 0 ? [...old, structuredClone(old.at(-1)!)] : old,
  (old) => Array.isArray(old) && old.length > 1 ? [...old].reverse() : old,
  (old) => Array.isArray(old) && old.length > 0 ? [structuredClone(old[0]), ...old] : old,
  (old) => Array.isArray(old) ? old.slice(0, -1) : old,
  () => "__proto__",
  () => 1e308,
];

/**
 * Words and paths of the chat request the Responses and Messages dialects are translated to:
 * their clients must only ever read of their own fields.
 */
const CHAT_WORDS =
  /tool_call_id|role 'tool'|tool message|(input|messages|previous_response_id)\[\d+\]\[\d+\]|previous_response_id\[|function\.(arguments|parameters)|\.tool_calls|\.attachments|response_format|output\.content\[/;

type Path = (string | number)[];

function pathsOf(value: Json, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(value)) value.forEach((child, i) => out.push(...pathsOf(child, [...at, i])));
  else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) out.push(...pathsOf(child, [...at, key]));
  }
  return out;
}

function mutate(body: Json, picks: readonly [number, number][]): Json {
  let result = structuredClone(body);
  for (const [where, what] of picks) {
    const paths = pathsOf(result);
    const path = paths[where % paths.length];
    const replace = REPLACEMENTS[what % REPLACEMENTS.length];
    if (path.length === 0) {
      result = replace(result) ?? {};
      continue;
    }
    let parent = result as Record<string | number, Json>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
    const key = path.at(-1)!;
    const value = replace(parent[key]);
    if (value !== undefined) parent[key] = value;
    else if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  }
  return result;
}

async function checkAnswer(response: Response, route: Route, sent: string): Promise<void> {
  const text = await response.text();
  const context = `${response.status} for ${sent.slice(0, 600)}\n→ ${text.slice(0, 600)}`;
  assert.ok(response.status < 500, `a 5xx: ${context}`);
  if (response.status < 400) return;
  const body = JSON.parse(text);
  const said = `${body.error?.message ?? ""} ${body.error?.param ?? ""}`;
  // A body too deep is refused by the JSON reader, before any dialect: it names raw paths.
  if (route.translated && !/nested more than/.test(said)) {
    assert.doesNotMatch(said, CHAT_WORDS, `chat's words: ${context}`);
  }
  if (route.google) {
    assert.equal(body.error?.code, response.status, context);
    assert.equal(typeof body.error?.message, "string", context);
    assert.match(body.error?.status ?? "", /^[A-Z_]+$/, context);
  } else if (route.anthropic) {
    assert.equal(body.type, "error", context);
    assert.equal(typeof body.error?.type, "string", context);
    assert.equal(typeof body.error?.message, "string", context);
  } else {
    assert.equal(typeof body.error?.message, "string", context);
    assert.equal(typeof body.error?.type, "string", context);
  }
}

function assertNoErrorLogs(stack: Stack): void {
  const errors = stack.logRecords().filter((record) => record.level === "error");
  assert.deepEqual(errors, [], "no error-level log line");
}

Deno.test(`fuzz: every JSON route answers mutated bodies without a 5xx (seed ${SEED})`, async (t) => {
  // deno-lint-ignore no-console
  console.log(`fuzz seed ${SEED}, ${RUNS} cases per route (FUZZ_SEED / FUZZ_RUNS to change)`);
  const stack = await startStack();
  try {
    for (const route of ROUTES) {
      await t.step(route.path, async () => {
        const valid = await postTo(stack, route.path, route.body as object);
        const answer = await valid.text();
        assert.equal(valid.status, 200, `the seed body is valid: ${answer}`);
        const pick = fc.tuple(fc.nat(), fc.nat({ max: REPLACEMENTS.length - 1 }));
        await fc.assert(
          fc.asyncProperty(fc.array(pick, { minLength: 1, maxLength: 3 }), async (picks) => {
            const body = JSON.stringify(mutate(route.body, picks));
            const response = await postTo(stack, route.path, body);
            await checkAnswer(response, route, body);
          }),
          { seed: SEED, numRuns: RUNS },
        );
        assertNoErrorLogs(stack);
      });
    }
    await t.step(
      "streams: mutated stream requests end, each error in the route's shape",
      async () => {
        const streaming = ROUTES.filter((route) =>
          route.google ? route.streamPath !== undefined : route.path !== "/embeddings" &&
            route.path !== "/messages/count_tokens"
        );
        const pick = fc.tuple(fc.nat(), fc.nat({ max: REPLACEMENTS.length - 1 }));
        await fc.assert(
          fc.asyncProperty(
            fc.nat({ max: streaming.length - 1 }),
            fc.array(pick, { minLength: 1, maxLength: 2 }),
            async (which, picks) => {
              const route = streaming[which];
              const mutated = mutate(route.body, picks);
              if (
                route.streamPath === undefined && mutated !== null && typeof mutated === "object" &&
                !Array.isArray(mutated)
              ) {
                mutated.stream = true;
              }
              const body = JSON.stringify(mutated);
              const path = route.streamPath ?? route.path;
              await checkAnswer(await postTo(stack, path, body), route, body);
            },
          ),
          { seed: SEED, numRuns: Math.ceil(RUNS / 2) },
        );
        assertNoErrorLogs(stack);
      },
    );
    await t.step("non-JSON bodies", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: ROUTES.length - 1 }),
          fc.oneof(fc.string(), fc.uint8Array({ maxLength: 2000 })),
          async (which, raw) => {
            const route = ROUTES[which];
            const response = await postTo(stack, route.path, raw);
            await checkAnswer(response, route, String(raw));
          },
        ),
        { seed: SEED, numRuns: RUNS },
      );
      assertNoErrorLogs(stack);
    });
    await t.step("/files: mutated uploads", async () => {
      const field = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 40 }));
      await fc.assert(
        fc.asyncProperty(
          field,
          field,
          field,
          fc.uint8Array({ maxLength: 4000 }),
          async (purpose, filename, type, bytes) => {
            const form = new FormData();
            if (purpose !== undefined) form.set("purpose", purpose);
            form.set("file", new Blob([bytes], { type: type ?? "" }), filename ?? "a.txt");
            const response = await fetch(`${stack.baseURL}/files`, {
              method: "POST",
              headers: { Authorization: `Bearer ${DEMO_KEY}` },
              body: form,
            });
            await checkAnswer(response, FILES, `purpose=${purpose} filename=${filename}`);
          },
        ),
        { seed: SEED, numRuns: Math.ceil(RUNS / 3) },
      );
      assertNoErrorLogs(stack);
    });
    const health = await fetch(`${stack.origin}/health`);
    assert.equal(health.status, 200, "still serving");
    await health.body?.cancel();
  } finally {
    await stack.close();
  }
});

const ADMIN = "fuzz-admin-token-0123456789";
const KEY_BODY: Json = {
  name: "alice",
  allowed_models: ["GigaChat-2-Max", "GigaChat-2"],
  rpm: 30,
  tpm: 100000,
  max_concurrent: 2,
  daily_tokens: 100000,
  monthly_tokens: 1000000,
  expires_at: "2030-01-01T00:00:00Z",
  disabled: false,
};

Deno.test(`fuzz: the admin API answers mutated key bodies without a 5xx (seed ${SEED})`, async () => {
  const stack = await startStack({
    env: { GIGACHAT_CREDENTIALS: DEMO_KEY, ADMIN_TOKEN: ADMIN, DATA_DIR: ":memory:" },
  });
  const route: Route = { path: "/admin/keys", body: KEY_BODY, anthropic: false, translated: false };
  const send = (method: string, path: string, body: string) =>
    fetch(`${stack.origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body,
    });
  try {
    const valid = await send("POST", "/admin/keys", JSON.stringify(KEY_BODY));
    assert.equal(valid.status, 201, await valid.text());
    const { id } = await (await send("POST", "/admin/keys", JSON.stringify(KEY_BODY))).json();
    const pick = fc.tuple(fc.nat(), fc.nat({ max: REPLACEMENTS.length - 1 }));
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(pick, { minLength: 1, maxLength: 3 }),
        async (change, picks) => {
          const body = JSON.stringify(mutate(KEY_BODY, picks));
          const response = change
            ? await send("PATCH", `/admin/keys/${id}`, body)
            : await send("POST", "/admin/keys", body);
          await checkAnswer(response, route, body);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // The usage record and what the console reads, with odd queries.
    for (
      const path of [
        ...["from=x", "to=2026-13-45", "format=xml", "key=%00", "from=&to="]
          .map((query) => `/admin/usage?${query}`),
        "/admin/requests?limit=x",
        "/admin/requests?limit=1001",
        "/admin/requests?status=abc&key=%00&model=%FF",
        "/admin/requests?limit=-1&status=99999999999999999999",
        "/admin/live?minutes=0",
        "/admin/live?minutes=1e3",
        "/admin/status?x=%00",
        "/admin/models",
        "/admin/console-sessions?x=1",
      ]
    ) {
      const response = await fetch(`${stack.origin}${path}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      await checkAnswer(response, route, path);
    }
    // The console's sign-in, with bodies that are no token.
    for (
      const body of [
        "",
        "{",
        "[]",
        "null",
        '{"token":1}',
        '{"token":""}',
        '{"token":{"a":1}}',
        JSON.stringify({ token: "x".repeat(5000) }),
      ]
    ) {
      const response = await fetch(`${stack.origin}/console/session`, {
        method: "POST",
        headers: { origin: stack.origin, "content-type": "application/json" },
        body,
      });
      await checkAnswer(response, route, body);
    }
    // Cookies that are no session, where a session is looked for.
    for (
      const cookie of [
        "gateway_console=" + "9".repeat(400),
        "gateway_console=1.2.3; gateway_console=x",
        `gateway_console=${"9".repeat(15)}.${"a".repeat(32)}.${"b".repeat(64)}`,
        "gateway_console=%00%FF;;;=;",
        ";".repeat(2000),
      ]
    ) {
      for (const path of ["/console/session", "/admin/status"]) {
        const response = await fetch(`${stack.origin}${path}`, { headers: { cookie } });
        await checkAnswer(response, route, cookie);
      }
    }
    assertNoErrorLogs(stack);
  } finally {
    await stack.close();
  }
});
