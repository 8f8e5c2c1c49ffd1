import assert from "node:assert/strict";
import type { GigaChatChatRequest } from "../../../lib/gigachat/types.ts";
import type { ChatPlan } from "../../../lib/mapping/to_gigachat_request.ts";
import {
  checkJsonAnswer,
  completionToChunks,
  type JsonCheck,
  type JsonExpectation,
  toRepairRequest,
} from "../../../lib/mapping/structured_output.ts";
import { toolNamesFor } from "../../../lib/mapping/tool_names.ts";
import type {
  OpenAIChatCompletion,
  OpenAIChatCompletionChunk,
  OpenAIUsage,
} from "../../../lib/openai/types.ts";

const OBJECT: JsonExpectation = { kind: "json_object" };

const PERSON: JsonExpectation = {
  kind: "json_schema",
  schema: {
    type: "object",
    properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } },
    required: ["name", "age"],
    additionalProperties: false,
  },
};

const WITH_DEFS: JsonExpectation = {
  kind: "json_schema",
  schema: {
    type: "object",
    properties: { items: { type: "array", items: { $ref: "#/$defs/Item" } } },
    required: ["items"],
    $defs: {
      Item: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] },
    },
  },
};

// Pydantic and zod-to-json-schema (draft-07 targets) still write `definitions`.
const WITH_DEFINITIONS: JsonExpectation = {
  kind: "json_schema",
  schema: {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: { status: { $ref: "#/definitions/Status" } },
    required: ["status"],
    definitions: { Status: { type: "string", enum: ["open", "closed"] } },
  },
};

const DRAFT_07: JsonExpectation = {
  kind: "json_schema",
  schema: {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: { ok: { type: "boolean" } },
    required: ["ok"],
  },
};

const SIX_REQUIRED: JsonExpectation = {
  kind: "json_schema",
  schema: { type: "object", required: ["a", "b", "c", "d", "e", "f"] },
};

Deno.test("checkJsonAnswer checks JSON syntax and the object shape", async (t) => {
  const rows: { name: string; content: string; expected: JsonCheck }[] = [
    { name: "an object", content: '{"a":1}', expected: { ok: true } },
    { name: "an empty object", content: "{}", expected: { ok: true } },
    { name: "an object with space around it", content: ' \n{"a":[1]}\n', expected: { ok: true } },
    {
      name: "prose",
      content: "Sure! Here it is",
      expected: { ok: false, problem: "the answer is not valid JSON" },
    },
    {
      name: "JSON in Markdown fences",
      content: '```json\n{"a":1}\n```',
      expected: { ok: false, problem: "the answer is not valid JSON" },
    },
    {
      name: "cut off",
      content: '{"a":',
      expected: { ok: false, problem: "the answer is not valid JSON" },
    },
    {
      name: "empty",
      content: "",
      expected: { ok: false, problem: "the answer is not valid JSON" },
    },
    {
      name: "an array",
      content: "[1,2]",
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
    {
      name: "a number",
      content: "42",
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
    {
      name: "a string",
      content: '"{}"',
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
    {
      name: "null",
      content: "null",
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      async () => assert.deepEqual(await checkJsonAnswer(row.content, OBJECT), row.expected),
    );
  }
});

Deno.test("checkJsonAnswer validates against the client's schema", async (t) => {
  const rows: {
    name: string;
    content: string;
    expectation: JsonExpectation;
    expected: JsonCheck;
  }[] = [
    {
      name: "a match",
      content: '{"name":"Ann","age":30}',
      expectation: PERSON,
      expected: { ok: true },
    },
    {
      name: "a wrong type names the path",
      content: '{"name":"Ann","age":"30"}',
      expectation: PERSON,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: /age must be integer",
      },
    },
    {
      name: "a missing property is reported at the root",
      content: '{"name":"Ann"}',
      expectation: PERSON,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: / must have required property 'age'",
      },
    },
    {
      name: "every error, in one line",
      content: '{"name":1,"age":-1,"extra":true}',
      expectation: PERSON,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: / must NOT have additional properties; " +
          "/name must be string; /age must be >= 0",
      },
    },
    {
      name: "at most five errors",
      content: "{}",
      expectation: SIX_REQUIRED,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: / must have required property 'a'; " +
          "/ must have required property 'b'; / must have required property 'c'; " +
          "/ must have required property 'd'; / must have required property 'e'",
      },
    },
    {
      name: "the syntax is checked before the schema",
      content: "[]",
      expectation: PERSON,
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
    {
      name: "$defs refs: a match",
      content: '{"items":[{"id":1},{"id":2}]}',
      expectation: WITH_DEFS,
      expected: { ok: true },
    },
    {
      name: "$defs refs: the path runs into the array",
      content: '{"items":[{"id":1},{"id":"2"}]}',
      expectation: WITH_DEFS,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: /items/1/id must be integer",
      },
    },
    {
      name: "definitions refs with a draft-07 $schema: a match",
      content: '{"status":"open"}',
      expectation: WITH_DEFINITIONS,
      expected: { ok: true },
    },
    {
      name: "definitions refs with a draft-07 $schema: a miss",
      content: '{"status":"pending"}',
      expectation: WITH_DEFINITIONS,
      expected: {
        ok: false,
        problem:
          "the answer does not match the schema: /status must be equal to one of the allowed values",
      },
    },
    {
      name: "draft-07 $schema URL tolerated: a match",
      content: '{"ok":true}',
      expectation: DRAFT_07,
      expected: { ok: true },
    },
    {
      name: "draft-07 $schema URL tolerated: a miss",
      content: '{"ok":"yes"}',
      expectation: DRAFT_07,
      expected: { ok: false, problem: "the answer does not match the schema: /ok must be boolean" },
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      async () =>
        assert.deepEqual(await checkJsonAnswer(row.content, row.expectation), row.expected),
    );
  }
});

Deno.test("checkJsonAnswer checks only the syntax when the schema does not compile", async (t) => {
  const broken: { name: string; schema: Record<string, unknown> }[] = [
    { name: "an unknown type", schema: { type: "nonsense", required: ["a"] } },
    { name: "a ref to nowhere", schema: { $ref: "#/$defs/Missing" } },
  ];
  const rows: { content: string; expected: JsonCheck }[] = [
    { content: '{"anything":1}', expected: { ok: true } },
    { content: "not json", expected: { ok: false, problem: "the answer is not valid JSON" } },
    { content: "[1]", expected: { ok: false, problem: "the answer is not a JSON object" } },
  ];
  for (const schema of broken) {
    for (const row of rows) {
      await t.step(`${schema.name}: ${row.content}`, async () => {
        const expectation: JsonExpectation = { kind: "json_schema", schema: schema.schema };
        assert.deepEqual(await checkJsonAnswer(row.content, expectation), row.expected);
        // The second call comes from the cache and answers the same.
        assert.deepEqual(await checkJsonAnswer(row.content, expectation), row.expected);
      });
    }
  }
});

Deno.test("checkJsonAnswer keeps schemas apart that differ only in their content", async () => {
  const a: JsonExpectation = { kind: "json_schema", schema: { type: "object", required: ["a"] } };
  const b: JsonExpectation = { kind: "json_schema", schema: { type: "object", required: ["b"] } };
  assert.deepEqual(await checkJsonAnswer('{"a":1}', a), { ok: true });
  assert.deepEqual(await checkJsonAnswer('{"a":1}', b), {
    ok: false,
    problem: "the answer does not match the schema: / must have required property 'b'",
  });
});

// Bug: checkJsonAnswer (then lib/openai/check_json_answer.ts:47) — ajv.compile registers each schema's $id in the one
// shared Ajv instance, so a second, different schema with the same $id (a new version of the
// client's schema, another client's, or the same one recompiled after LRU eviction) throws
// "schema with key or id ... already exists" and is then treated as uncompilable: only the
// JSON syntax of answers is checked from then on. (The Ajv instance also keeps every compiled
// schema in its own unbounded cache, whatever the LRU evicts.)
Deno.test({
  name: "checkJsonAnswer validates two different schemas that share an $id",
  fn: async () => {
    const $id = "https://example.com/schemas/shared-id-test.json";
    const v1: JsonExpectation = {
      kind: "json_schema",
      schema: { $id, type: "object", required: ["a"] },
    };
    const v2: JsonExpectation = {
      kind: "json_schema",
      schema: { $id, type: "object", required: ["b"] },
    };
    assert.deepEqual(await checkJsonAnswer("{}", v1), {
      ok: false,
      problem: "the answer does not match the schema: / must have required property 'a'",
    });
    assert.deepEqual(await checkJsonAnswer("{}", v2), {
      ok: false,
      problem: "the answer does not match the schema: / must have required property 'b'",
    });
  },
});

Deno.test("checkJsonAnswer ignores a schema's regular expressions (no ReDoS on model output)", async () => {
  const schema = {
    type: "object",
    properties: { a: { type: "string", pattern: "^(a|a)*$" } },
    patternProperties: { "^x": { type: "number" } },
    additionalProperties: false,
    required: ["a"],
  };
  const started = performance.now();
  const check = await checkJsonAnswer(`{"a":"${"a".repeat(40)}b","x1":"not a number"}`, {
    kind: "json_schema",
    schema,
  });
  assert.deepEqual(check, { ok: true });
  assert.ok(performance.now() - started < 500, "the backtracking pattern was not run");
  assert.deepEqual(await checkJsonAnswer('{"b":1}', { kind: "json_schema", schema }), {
    ok: false,
    problem: "the answer does not match the schema: / must have required property 'a'",
  });
});

const WEATHER = {
  name: "get_weather",
  description: "Weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } } },
};
const ANSWER = {
  name: "answer",
  description: "Give the final answer",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

const BODY: GigaChatChatRequest = {
  model: "GigaChat-2-Max",
  messages: [
    { role: "system", content: "Answer in JSON." },
    { role: "user", content: "Where is the Hermitage?" },
  ],
  stream: true,
  temperature: 0.3,
  functions: [WEATHER, ANSWER],
  function_call: "auto",
};

function plan(extra: Partial<ChatPlan>): ChatPlan {
  return {
    requestedModel: "gpt-4o",
    stream: true,
    includeUsage: false,
    stop: [],
    names: toolNamesFor([]),
    ignoredTools: [],
    hosted: { tools: [] },
    citations: false,
    legacyFunctions: false,
    ...extra,
  };
}

const FAILED = '{"town": "St Petersburg"}';
const PROBLEM = "the answer does not match the schema: / must have required property 'city'";
const REPAIR_ASK = "Your previous answer cannot be used: the answer does not match the schema: / " +
  "must have required property 'city'. Give the answer again, as JSON that follows the " +
  "required structure exactly, with nothing else.";

Deno.test("toRepairRequest asks again with the failed answer and its problem", async (t) => {
  const rows: {
    name: string;
    body: GigaChatChatRequest;
    plan: ChatPlan;
    expected: GigaChatChatRequest;
  }[] = [
    {
      name: "json_schema emulation: functions narrowed to the answer function, which is forced",
      body: BODY,
      plan: plan({ answerFunction: "answer" }),
      expected: {
        model: "GigaChat-2-Max",
        messages: [
          { role: "system", content: "Answer in JSON." },
          { role: "user", content: "Where is the Hermitage?" },
          { role: "assistant", content: '{"town": "St Petersburg"}' },
          { role: "user", content: REPAIR_ASK },
        ],
        temperature: 0.3,
        functions: [ANSWER],
        function_call: { name: "answer" },
      },
    },
    {
      name: "no answer function: functions and function_call untouched",
      body: BODY,
      plan: plan({}),
      expected: {
        model: "GigaChat-2-Max",
        messages: [
          { role: "system", content: "Answer in JSON." },
          { role: "user", content: "Where is the Hermitage?" },
          { role: "assistant", content: '{"town": "St Petersburg"}' },
          { role: "user", content: REPAIR_ASK },
        ],
        temperature: 0.3,
        functions: [WEATHER, ANSWER],
        function_call: "auto",
      },
    },
    {
      name: "a request without stream or functions",
      body: {
        model: "GigaChat",
        messages: [{ role: "user", content: "JSON please" }],
        response_format: { type: "json_object" },
      },
      plan: plan({ stream: false }),
      expected: {
        model: "GigaChat",
        messages: [
          { role: "user", content: "JSON please" },
          { role: "assistant", content: '{"town": "St Petersburg"}' },
          { role: "user", content: REPAIR_ASK },
        ],
        response_format: { type: "json_object" },
      },
    },
    {
      name: "stream: false is removed as well",
      body: { model: "GigaChat", messages: [{ role: "user", content: "x" }], stream: false },
      plan: plan({ stream: false }),
      expected: {
        model: "GigaChat",
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: '{"town": "St Petersburg"}' },
          { role: "user", content: REPAIR_ASK },
        ],
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const before = structuredClone(row.body);
      assert.deepEqual(toRepairRequest(row.body, row.plan, FAILED, PROBLEM), row.expected);
      assert.deepEqual(row.body, before, "the original request is not changed");
    });
  }
});

const USAGE: OpenAIUsage = {
  prompt_tokens: 18,
  completion_tokens: 7,
  total_tokens: 25,
  prompt_tokens_details: { cached_tokens: 0 },
};

const TEXT: OpenAIChatCompletion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1700000000,
  model: "GigaChat-2-Max",
  choices: [{
    index: 0,
    message: { role: "assistant", content: '{"city":"Москва"}', refusal: null },
    logprobs: null,
    finish_reason: "stop",
  }],
  usage: USAGE,
};

const TOOLS: OpenAIChatCompletion = {
  id: "chatcmpl-2",
  object: "chat.completion",
  created: 1700000001,
  model: "GigaChat",
  system_fingerprint: "fp_1",
  choices: [{
    index: 0,
    message: {
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        {
          id: "call_a",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Paris"}' },
        },
        { id: "call_b", type: "function", function: { name: "get_time", arguments: "{}" } },
      ],
    },
    logprobs: null,
    finish_reason: "tool_calls",
  }],
  usage: USAGE,
};

Deno.test("completionToChunks replays a completion as chunks", async (t) => {
  const rows: {
    name: string;
    completion: OpenAIChatCompletion;
    includeUsage: boolean;
    expected: OpenAIChatCompletionChunk[];
  }[] = [
    {
      name: "text: role and content, then finish; no usage key without include_usage",
      completion: TEXT,
      includeUsage: false,
      expected: [
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          choices: [{
            index: 0,
            delta: { role: "assistant", content: '{"city":"Москва"}' },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
        },
      ],
    },
    {
      name: "text with include_usage: usage null on each chunk, then a usage chunk",
      completion: TEXT,
      includeUsage: true,
      expected: [
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          usage: null,
          choices: [{
            index: 0,
            delta: { role: "assistant", content: '{"city":"Москва"}' },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          usage: null,
          choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
        },
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          choices: [],
          usage: {
            prompt_tokens: 18,
            completion_tokens: 7,
            total_tokens: 25,
            prompt_tokens_details: { cached_tokens: 0 },
          },
        },
      ],
    },
    {
      name: "tool calls: one chunk per call with its index, system_fingerprint kept",
      completion: TOOLS,
      includeUsage: false,
      expected: [
        {
          id: "chatcmpl-2",
          object: "chat.completion.chunk",
          created: 1700000001,
          model: "GigaChat",
          system_fingerprint: "fp_1",
          choices: [{
            index: 0,
            delta: { role: "assistant", content: "" },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-2",
          object: "chat.completion.chunk",
          created: 1700000001,
          model: "GigaChat",
          system_fingerprint: "fp_1",
          choices: [{
            index: 0,
            delta: {
              tool_calls: [{
                index: 0,
                id: "call_a",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris"}' },
              }],
            },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-2",
          object: "chat.completion.chunk",
          created: 1700000001,
          model: "GigaChat",
          system_fingerprint: "fp_1",
          choices: [{
            index: 0,
            delta: {
              tool_calls: [{
                index: 1,
                id: "call_b",
                type: "function",
                function: { name: "get_time", arguments: "{}" },
              }],
            },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-2",
          object: "chat.completion.chunk",
          created: 1700000001,
          model: "GigaChat",
          system_fingerprint: "fp_1",
          choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" }],
        },
      ],
    },
    {
      name: "include_usage without usage in the completion: no usage chunk",
      completion: { ...TEXT, usage: undefined },
      includeUsage: true,
      expected: [
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          usage: null,
          choices: [{
            index: 0,
            delta: { role: "assistant", content: '{"city":"Москва"}' },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          usage: null,
          choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
        },
      ],
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(completionToChunks(row.completion, row.includeUsage), row.expected),
    );
  }
});

Deno.test("completionToChunks uses one id, created and model for every chunk", async (t) => {
  const rows: { name: string; completion: OpenAIChatCompletion; stamps: string[] }[] = [
    {
      name: "text with usage",
      completion: TEXT,
      stamps: Array(3).fill("chatcmpl-1 1700000000 GigaChat-2-Max chat.completion.chunk"),
    },
    {
      name: "tool calls with usage",
      completion: TOOLS,
      stamps: Array(5).fill("chatcmpl-2 1700000001 GigaChat chat.completion.chunk"),
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const chunks = completionToChunks(row.completion, true);
      assert.deepEqual(
        chunks.map((c) => `${c.id} ${c.created} ${c.model} ${c.object}`),
        row.stamps,
      );
    });
  }
});

Deno.test("completionToChunks replays each choice in turn (n > 1)", () => {
  const completion: OpenAIChatCompletion = {
    ...TEXT,
    choices: [
      { ...TEXT.choices[0], message: { role: "assistant", content: "a", refusal: null } },
      {
        index: 1,
        message: { role: "assistant", content: "b", refusal: null },
        logprobs: null,
        finish_reason: "length",
      },
    ],
  };
  assert.deepEqual(completionToChunks(completion, false).map((c) => c.choices), [
    [{ index: 0, delta: { role: "assistant", content: "a" }, logprobs: null, finish_reason: null }],
    [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
    [{ index: 1, delta: { role: "assistant", content: "b" }, logprobs: null, finish_reason: null }],
    [{ index: 1, delta: {}, logprobs: null, finish_reason: "length" }],
  ]);
});

Deno.test("completionToChunks leaves the completion as it was", () => {
  const before = structuredClone(TOOLS);
  completionToChunks(TOOLS, true);
  assert.deepEqual(TOOLS, before);
});
