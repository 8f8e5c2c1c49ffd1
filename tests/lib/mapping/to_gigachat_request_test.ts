import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import type { GigaChatChatRequest } from "../../../lib/gigachat/types.ts";
import {
  type ChatMappingOptions,
  type ChatPlan,
  toGigaChatEffort,
  toGigaChatRequest,
} from "../../../lib/mapping/to_gigachat_request.ts";
import type {
  ChatRequest,
  FunctionTool,
  ReasoningEffort,
} from "../../../lib/openai/chat_request.ts";

const OPTIONS: ChatMappingOptions = {
  aliases: { "gpt-4o": "GigaChat-2-Max" },
  maxOutputTokens: 4096,
  structuredOutput: "function",
};
const NATIVE: ChatMappingOptions = { ...OPTIONS, structuredOutput: "native" };

const HI = [{ role: "user" as const, content: "hi" }];
const BASE: GigaChatChatRequest = {
  model: "GigaChat-2-Max",
  messages: [{ role: "user", content: "hi" }],
};

function request(fields: Partial<ChatRequest> = {}): ChatRequest {
  return { model: "gpt-4o", messages: HI, ...fields };
}

function tool(name: string, extra: Partial<FunctionTool["function"]> = {}): FunctionTool {
  return { type: "function", function: { name, ...extra } };
}

const CITY_SCHEMA = {
  type: "object",
  properties: { city: { type: "string", format: "city" } },
  required: ["city"],
  additionalProperties: false,
};
const CITY_SANITIZED = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
};
const EMPTY_OBJECT = { type: "object", properties: {} };
const DEFAULT_ANSWER_DESCRIPTION = "Give the final answer to the user in this structure.";
const JSON_INSTRUCTION =
  "Answer with one valid JSON object only: no prose, no Markdown code fences.";

interface BodyRow {
  name: string;
  request: ChatRequest;
  options?: ChatMappingOptions;
  expected: GigaChatChatRequest;
}

function runBodyRows(rows: BodyRow[]) {
  return async (t: Deno.TestContext) => {
    for (const row of rows) {
      await t.step(row.name, () => {
        const { body } = toGigaChatRequest(row.request, row.options ?? OPTIONS);
        assert.deepEqual(body, row.expected);
      });
    }
  };
}

Deno.test(
  "toGigaChatRequest maps model and sampling fields",
  runBodyRows([
    { name: "model through aliases", request: request(), expected: BASE },
    {
      name: "model without alias passes through",
      request: request({ model: "GigaChat-2-Pro" }),
      expected: { ...BASE, model: "GigaChat-2-Pro" },
    },
    {
      name: "temperature 0 becomes top_p 0 (API-chat.md §2, gpt2giga)",
      request: request({ temperature: 0 }),
      expected: { ...BASE, top_p: 0 },
    },
    {
      name: "temperature 0 wins over a client top_p",
      request: request({ temperature: 0, top_p: 0.9 }),
      expected: { ...BASE, top_p: 0 },
    },
    {
      name: "temperature 0.7 and top_p kept",
      request: request({ temperature: 0.7, top_p: 0.9 }),
      expected: { ...BASE, temperature: 0.7, top_p: 0.9 },
    },
    {
      name: "temperature null sends nothing",
      request: request({ temperature: null }),
      expected: BASE,
    },
    { name: "n kept", request: request({ n: 2 }), expected: { ...BASE, n: 2 } },
    {
      name: "max_tokens kept",
      request: request({ max_tokens: 100 }),
      expected: { ...BASE, max_tokens: 100 },
    },
    {
      name: "max_completion_tokens preferred over max_tokens",
      request: request({ max_tokens: 100, max_completion_tokens: 200 }),
      expected: { ...BASE, max_tokens: 200 },
    },
    {
      name: "max_tokens clamped to maxOutputTokens",
      request: request({ max_tokens: 100_000 }),
      expected: { ...BASE, max_tokens: 4096 },
    },
    {
      name: "max_completion_tokens clamped to maxOutputTokens",
      request: request({ max_completion_tokens: 5000, max_tokens: 10 }),
      expected: { ...BASE, max_tokens: 4096 },
    },
    {
      name: "GigaChat extras at the top level",
      request: request({ repetition_penalty: 1.1, update_interval: 0.5, profanity_check: false }),
      expected: { ...BASE, repetition_penalty: 1.1, update_interval: 0.5, profanity_check: false },
    },
    {
      name: "GigaChat extras from extra_body",
      request: request({
        extra_body: { repetition_penalty: 1.2, update_interval: 0, profanity_check: true },
      }),
      expected: { ...BASE, repetition_penalty: 1.2, update_interval: 0, profanity_check: true },
    },
    {
      name: "top level wins over extra_body",
      request: request({ repetition_penalty: 1.3, extra_body: { repetition_penalty: 1.5 } }),
      expected: { ...BASE, repetition_penalty: 1.3 },
    },
    {
      name: "stream true; stream_options not forwarded",
      request: request({ stream: true, stream_options: { include_usage: true } }),
      expected: { ...BASE, stream: true },
    },
    { name: "stream false sends no stream", request: request({ stream: false }), expected: BASE },
    { name: "stop is not forwarded", request: request({ stop: ["END"] }), expected: BASE },
    {
      name: "messages mapped (system first)",
      request: request({
        messages: [{ role: "developer", content: "S" }, { role: "user", content: "hi" }],
      }),
      expected: {
        ...BASE,
        messages: [{ role: "system", content: "S" }, { role: "user", content: "hi" }],
      },
    },
  ]),
);

Deno.test(
  "toGigaChatRequest maps tools and tool_choice to functions and function_call",
  runBodyRows([
    {
      name: "function tool → function, strict dropped, schema sanitized, auto",
      request: request({
        tools: [tool("get_weather", {
          description: "Weather",
          parameters: CITY_SCHEMA,
          strict: true,
        })],
      }),
      expected: {
        ...BASE,
        functions: [{ name: "get_weather", description: "Weather", parameters: CITY_SANITIZED }],
        function_call: "auto",
      },
    },
    {
      name: "tool without description or parameters",
      request: request({ tools: [tool("ping")] }),
      expected: {
        ...BASE,
        functions: [{ name: "ping", parameters: EMPTY_OBJECT }],
        function_call: "auto",
      },
    },
    {
      name: "non-function tools are left out",
      request: request({ tools: [{ type: "web_search_preview" }, tool("ping")] }),
      expected: {
        ...BASE,
        functions: [{ name: "ping", parameters: EMPTY_OBJECT }],
        function_call: "auto",
      },
    },
    {
      name: "only non-function tools: no functions",
      request: request({ tools: [{ type: "code_interpreter" }] }),
      expected: BASE,
    },
    {
      name: "tool_choice none drops functions and function_call (API-chat.md §4, gpt2giga)",
      request: request({ tools: [tool("a"), tool("b")], tool_choice: "none" }),
      expected: BASE,
    },
    {
      name: "tool_choice auto",
      request: request({ tools: [tool("a")], tool_choice: "auto" }),
      expected: {
        ...BASE,
        functions: [{ name: "a", parameters: EMPTY_OBJECT }],
        function_call: "auto",
      },
    },
    {
      name: "tool_choice naming a function forces it",
      request: request({
        tools: [tool("a"), tool("b")],
        tool_choice: { type: "function", function: { name: "b" } },
      }),
      expected: {
        ...BASE,
        functions: [{ name: "a", parameters: EMPTY_OBJECT }, {
          name: "b",
          parameters: EMPTY_OBJECT,
        }],
        function_call: { name: "b" },
      },
    },
    {
      name: "required with one tool forces it",
      request: request({ tools: [tool("a")], tool_choice: "required" }),
      expected: {
        ...BASE,
        functions: [{ name: "a", parameters: EMPTY_OBJECT }],
        function_call: { name: "a" },
      },
    },
    {
      name: "required with two tools is auto",
      request: request({ tools: [tool("a"), tool("b")], tool_choice: "required" }),
      expected: {
        ...BASE,
        functions: [{ name: "a", parameters: EMPTY_OBJECT }, {
          name: "b",
          parameters: EMPTY_OBJECT,
        }],
        function_call: "auto",
      },
    },
    {
      name: "web_search renamed in functions and a forced function_call (API-chat.md §4)",
      request: request({
        tools: [tool("web_search")],
        tool_choice: { type: "function", function: { name: "web_search" } },
      }),
      expected: {
        ...BASE,
        functions: [{ name: "user_web_search", parameters: EMPTY_OBJECT }],
        function_call: { name: "user_web_search" },
      },
    },
  ]),
);

Deno.test(
  "toGigaChatRequest maps response_format",
  runBodyRows([
    {
      name: "json_schema alone: answer function forced",
      request: request({
        response_format: {
          type: "json_schema",
          json_schema: { name: "city_answer", schema: CITY_SCHEMA, strict: true },
        },
      }),
      expected: {
        ...BASE,
        functions: [{
          name: "city_answer",
          description: DEFAULT_ANSWER_DESCRIPTION,
          parameters: CITY_SANITIZED,
        }],
        function_call: { name: "city_answer" },
      },
    },
    {
      name: "json_schema with its own description and no schema",
      request: request({
        response_format: {
          type: "json_schema",
          json_schema: { name: "anything", description: "Any object" },
        },
      }),
      expected: {
        ...BASE,
        functions: [{ name: "anything", description: "Any object", parameters: EMPTY_OBJECT }],
        function_call: { name: "anything" },
      },
    },
    {
      name: "json_schema with a tool: both functions, auto",
      request: request({
        tools: [tool("lookup")],
        response_format: {
          type: "json_schema",
          json_schema: { name: "city_answer", schema: CITY_SCHEMA },
        },
      }),
      expected: {
        ...BASE,
        functions: [
          { name: "lookup", parameters: EMPTY_OBJECT },
          {
            name: "city_answer",
            description: DEFAULT_ANSWER_DESCRIPTION,
            parameters: CITY_SANITIZED,
          },
        ],
        function_call: "auto",
      },
    },
    {
      name: "json_schema named like a tool gets a distinct name",
      request: request({
        tools: [tool("report")],
        response_format: { type: "json_schema", json_schema: { name: "report" } },
      }),
      expected: {
        ...BASE,
        functions: [
          { name: "report", parameters: EMPTY_OBJECT },
          {
            name: "report_answer",
            description: DEFAULT_ANSWER_DESCRIPTION,
            parameters: EMPTY_OBJECT,
          },
        ],
        function_call: "auto",
      },
    },
    {
      name: "json_schema with tool_choice none: only the answer function",
      request: request({
        tools: [tool("lookup")],
        tool_choice: "none",
        response_format: { type: "json_schema", json_schema: { name: "out" } },
      }),
      expected: {
        ...BASE,
        functions: [{
          name: "out",
          description: DEFAULT_ANSWER_DESCRIPTION,
          parameters: EMPTY_OBJECT,
        }],
        function_call: { name: "out" },
      },
    },
    {
      name: "json_schema native: response_format with the schema as given",
      options: NATIVE,
      request: request({
        response_format: {
          type: "json_schema",
          json_schema: { name: "city_answer", schema: CITY_SCHEMA, strict: true },
        },
      }),
      expected: {
        ...BASE,
        response_format: { type: "json_schema", schema: CITY_SCHEMA, strict: true },
      },
    },
    {
      name: "json_schema native without strict",
      options: NATIVE,
      request: request({
        response_format: {
          type: "json_schema",
          json_schema: { name: "city_answer", schema: CITY_SCHEMA },
        },
      }),
      expected: { ...BASE, response_format: { type: "json_schema", schema: CITY_SCHEMA } },
    },
    {
      name: "json_object appends the instruction to the system message",
      request: request({
        messages: [{ role: "system", content: "Be brief." }, ...HI],
        response_format: { type: "json_object" },
      }),
      expected: {
        ...BASE,
        messages: [
          { role: "system", content: `Be brief.\n\n${JSON_INSTRUCTION}` },
          { role: "user", content: "hi" },
        ],
      },
    },
    {
      name: "json_object without a system message adds one first",
      request: request({ response_format: { type: "json_object" } }),
      expected: {
        ...BASE,
        messages: [{ role: "system", content: JSON_INSTRUCTION }, { role: "user", content: "hi" }],
      },
    },
    {
      name: "text format changes nothing",
      request: request({ response_format: { type: "text" } }),
      expected: BASE,
    },
  ]),
);

Deno.test("toGigaChatRequest never forwards OpenAI-only keys", () => {
  const { body } = toGigaChatRequest(
    request({
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 10,
      stop: ["x"],
      tools: [tool("a")],
      tool_choice: "auto",
      response_format: { type: "json_schema", json_schema: { name: "out" } },
      extra_body: { profanity_check: true },
    }),
    OPTIONS,
  );
  const keys = Object.keys(body);
  for (
    const key of [
      "tools",
      "tool_choice",
      "stream_options",
      "max_completion_tokens",
      "response_format",
      "stop",
      "extra_body",
    ]
  ) {
    assert.ok(!keys.includes(key), `body has ${key}`);
  }
});

Deno.test("toGigaChatRequest plans the response mapping", async (t) => {
  type PlanFields = Omit<ChatPlan, "names">;
  const DEFAULT_PLAN: PlanFields = {
    requestedModel: "gpt-4o",
    stream: false,
    includeUsage: false,
    stop: [],
    ignoredTools: [],
    hosted: { tools: [] },
    citations: false,
    legacyFunctions: false,
  };
  const rows: { name: string; request: ChatRequest; expected: PlanFields }[] = [
    { name: "defaults", request: request(), expected: DEFAULT_PLAN },
    {
      name: "requested model, not the alias target",
      request: request({ model: "GigaChat-2" }),
      expected: { ...DEFAULT_PLAN, requestedModel: "GigaChat-2" },
    },
    {
      name: "stream with include_usage",
      request: request({ stream: true, stream_options: { include_usage: true } }),
      expected: { ...DEFAULT_PLAN, stream: true, includeUsage: true },
    },
    {
      name: "stream without stream_options",
      request: request({ stream: true }),
      expected: { ...DEFAULT_PLAN, stream: true },
    },
    {
      name: "include_usage false",
      request: request({ stream: true, stream_options: { include_usage: false } }),
      expected: { ...DEFAULT_PLAN, stream: true },
    },
    {
      name: "include_usage without streaming",
      request: request({ stream_options: { include_usage: true } }),
      expected: DEFAULT_PLAN,
    },
    {
      name: "stop string",
      request: request({ stop: "END" }),
      expected: { ...DEFAULT_PLAN, stop: ["END"] },
    },
    {
      name: "stop array, empty strings dropped",
      request: request({ stop: ["END", "", "\n\n"] }),
      expected: { ...DEFAULT_PLAN, stop: ["END", "\n\n"] },
    },
    { name: "stop null", request: request({ stop: null }), expected: DEFAULT_PLAN },
    {
      name: "non-function tools listed",
      request: request({
        tools: [{ type: "web_search_preview" }, tool("a"), { type: "file_search" }],
      }),
      expected: { ...DEFAULT_PLAN, ignoredTools: ["web_search_preview", "file_search"] },
    },
    {
      name: "json_schema in function mode sets answerFunction",
      request: request({
        tools: [tool("out")],
        response_format: { type: "json_schema", json_schema: { name: "out" } },
      }),
      expected: {
        ...DEFAULT_PLAN,
        answerFunction: "out_answer",
        jsonAnswer: { kind: "json_schema", schema: EMPTY_OBJECT },
      },
    },
    {
      name: "json_object expects a JSON object",
      request: request({ response_format: { type: "json_object" } }),
      expected: { ...DEFAULT_PLAN, jsonAnswer: { kind: "json_object" } },
    },
    {
      name: "text format expects nothing",
      request: request({ response_format: { type: "text" } }),
      expected: DEFAULT_PLAN,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const { names: _names, ...plan } = toGigaChatRequest(row.request, OPTIONS).plan;
      assert.deepEqual(plan, row.expected);
    });
  }
  await t.step("json_schema in native mode: the client's schema, no answerFunction", () => {
    const { names: _names, ...plan } = toGigaChatRequest(
      request({
        response_format: {
          type: "json_schema",
          json_schema: { name: "out", schema: CITY_SCHEMA },
        },
      }),
      NATIVE,
    ).plan;
    assert.deepEqual(plan, {
      ...DEFAULT_PLAN,
      jsonAnswer: { kind: "json_schema", schema: CITY_SCHEMA },
    });
  });
  await t.step("names map renamed tools back", () => {
    const { plan } = toGigaChatRequest(request({ tools: [tool("web_search")] }), OPTIONS);
    assert.equal(plan.names.toUpstream("web_search"), "user_web_search");
    assert.equal(plan.names.fromUpstream("user_web_search"), "web_search");
  });
});

Deno.test("toGigaChatRequest rejects with a 400 naming the field", async (t) => {
  const rows: { name: string; request: ChatRequest; param: string }[] = [
    {
      name: "tool_choice naming an unknown function",
      request: request({
        tools: [tool("a")],
        tool_choice: { type: "function", function: { name: "b" } },
      }),
      param: "tool_choice",
    },
    {
      name: "message errors pass through",
      request: request({
        messages: [{
          role: "user",
          content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }],
        }],
      }),
      param: "messages[0].content[0]",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.throws(() => toGigaChatRequest(row.request, OPTIONS), (e) => {
        assert.ok(e instanceof GatewayError);
        assert.equal(e.status, 400);
        assert.equal(e.param, row.param);
        return true;
      });
    });
  }
});

// Bug: with no function tools the tool_choice check is skipped (it sits inside
// `if (functions.length > 0)`, lib/mapping/to_gigachat_request.ts), so a forced function that
// does not exist is silently ignored instead of a 400.
Deno.test({
  name: "toGigaChatRequest rejects tool_choice naming a function when there are no tools",
  fn() {
    assert.throws(
      () =>
        toGigaChatRequest(
          request({ tool_choice: { type: "function", function: { name: "a" } } }),
          OPTIONS,
        ),
      (e) => e instanceof GatewayError && e.status === 400 && e.param === "tool_choice",
    );
  },
});

// Bug: in function mode, json_schema sets `function_call` to "auto" whenever tools exist,
// overwriting a tool_choice that forces a function (lib/mapping/to_gigachat_request.ts, the
// `body.function_call = functions.length === 1 ? { name } : "auto"` line).
Deno.test({
  name: "toGigaChatRequest keeps a forced tool_choice alongside json_schema",
  fn() {
    const { body } = toGigaChatRequest(
      request({
        tools: [tool("lookup")],
        tool_choice: { type: "function", function: { name: "lookup" } },
        response_format: { type: "json_schema", json_schema: { name: "out" } },
      }),
      OPTIONS,
    );
    assert.deepEqual(body.function_call, { name: "lookup" });
  },
});

Deno.test("toGigaChatEffort maps OpenAI's efforts to GigaChat's three and none", async (t) => {
  const rows: [ReasoningEffort | null | undefined, string | undefined][] = [
    ["none", "none"],
    ["minimal", "low"],
    ["low", "low"],
    ["medium", "medium"],
    ["high", "high"],
    ["xhigh", "high"],
    [null, undefined],
    [undefined, undefined],
  ];
  for (const [effort, expected] of rows) {
    await t.step(String(effort), () => assert.equal(toGigaChatEffort(effort), expected));
  }
});

Deno.test("toGigaChatRequest sends reasoning_effort unless the model is known not to reason", async (t) => {
  const request: ChatRequest = {
    model: "m",
    messages: [{ role: "user", content: "hi" }],
    reasoning: { effort: "xhigh" },
  };
  const options = { aliases: {}, maxOutputTokens: 100, structuredOutput: "function" as const };
  for (
    const [reasoning, sent] of [[true, "high"], [undefined, "high"], [false, undefined]] as const
  ) {
    await t.step(`reasoning: ${reasoning}`, () => {
      const { body } = toGigaChatRequest(request, { ...options, reasoning });
      assert.equal(body.reasoning_effort, sent);
    });
  }
});
