import assert from "node:assert/strict";
import type { GigaChatCompletion } from "../../../lib/gigachat/types.ts";
import type { ChatPlan } from "../../../lib/mapping/to_gigachat_request.ts";
import {
  newResponseIds,
  type ResponseIds,
  toOpenAICompletion,
} from "../../../lib/mapping/to_openai_completion.ts";
import { toolNamesFor } from "../../../lib/mapping/tool_names.ts";
import { type OpenAIChatCompletion, STOP_SEQUENCE } from "../../../lib/openai/types.ts";

const SAMPLES = new URL("../../../fake_gigachat/samples/", import.meta.url);
async function sample(name: string): Promise<GigaChatCompletion> {
  return JSON.parse(await Deno.readTextFile(new URL(name, SAMPLES))) as GigaChatCompletion;
}
const SIMPLE = await sample("chat_response_simple.json");
const FUNCTION_CALL = await sample("chat_response_function_call.json");

const IDS: ResponseIds = { id: "chatcmpl-test", created: 1_700_000_000 };

function plan(fields: Partial<ChatPlan> = {}): ChatPlan {
  return {
    requestedModel: "gpt-4o",
    stream: false,
    includeUsage: false,
    stop: [],
    names: toolNamesFor([]),
    ignoredTools: [],
    hosted: { tools: [] },
    citations: false,
    legacyFunctions: false,
    ...fields,
  };
}

/** A one-choice answer with the given message and finish_reason. */
function answer(
  message: GigaChatCompletion["choices"][number]["message"],
  finishReason?: string,
): GigaChatCompletion {
  return {
    choices: [{ message, index: 0, ...(finishReason ? { finish_reason: finishReason } : {}) }],
    created: 1768996171,
    model: "GigaChat:2.0.28.2",
  };
}

const NO_USAGE = {
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
  prompt_tokens_details: { cached_tokens: 0 },
};

/** The expected completion around one expected choice (no usage in the answer). */
function expectedWith(choice: OpenAIChatCompletion["choices"][number]): OpenAIChatCompletion {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "gpt-4o",
    system_fingerprint: "GigaChat:2.0.28.2",
    choices: [choice],
    usage: NO_USAGE,
  };
}

Deno.test("toOpenAICompletion maps the recorded samples (API-chat.md §3, §4)", async (t) => {
  const rows: {
    name: string;
    answer: GigaChatCompletion;
    plan: ChatPlan;
    expected: OpenAIChatCompletion;
  }[] = [
    {
      name: "chat_response_simple.json",
      answer: SIMPLE,
      plan: plan(),
      expected: {
        id: "chatcmpl-test",
        object: "chat.completion",
        created: 1_700_000_000,
        model: "gpt-4o",
        system_fingerprint: "GigaChat:2.0.28.2",
        choices: [{
          index: 0,
          message: { role: "assistant", content: "Hello.", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        }],
        usage: {
          prompt_tokens: 17,
          completion_tokens: 3,
          total_tokens: 20,
          prompt_tokens_details: { cached_tokens: 2 },
        },
      },
    },
    {
      name: "chat_response_function_call.json",
      answer: FUNCTION_CALL,
      plan: plan({ requestedModel: "GigaChat-2-Max", names: toolNamesFor(["weather_forecast"]) }),
      expected: {
        id: "chatcmpl-test",
        object: "chat.completion",
        created: 1_700_000_000,
        model: "GigaChat-2-Max",
        system_fingerprint: "GigaChat-2-Max:2.0.28.2",
        choices: [{
          index: 0,
          message: {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [{
              id: "call_77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5",
              type: "function",
              function: {
                name: "weather_forecast",
                arguments: '{"location":"Москва","num_days":0}',
              },
            }],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        }],
        usage: {
          prompt_tokens: 138,
          completion_tokens: 21,
          total_tokens: 159,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      },
    },
    {
      name: "chat_response_function_call.json as the json_schema answer function",
      answer: FUNCTION_CALL,
      plan: plan({ answerFunction: "weather_forecast" }),
      expected: {
        id: "chatcmpl-test",
        object: "chat.completion",
        created: 1_700_000_000,
        model: "gpt-4o",
        system_fingerprint: "GigaChat-2-Max:2.0.28.2",
        choices: [{
          index: 0,
          message: {
            role: "assistant",
            content: '{"location":"Москва","num_days":0}',
            refusal: null,
          },
          logprobs: null,
          finish_reason: "stop",
        }],
        usage: {
          prompt_tokens: 138,
          completion_tokens: 21,
          total_tokens: 159,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(toOpenAICompletion(row.answer, row.plan, IDS), row.expected);
    });
  }
});

Deno.test("toOpenAICompletion maps content, finish_reason and tool calls", async (t) => {
  const rows: {
    name: string;
    answer: GigaChatCompletion;
    plan: ChatPlan;
    choice: OpenAIChatCompletion["choices"][number];
  }[] = [
    {
      name: "stop sequence cuts the content; finish stop even after length",
      answer: answer({ role: "assistant", content: "Hello. END more" }, "length"),
      plan: plan({ stop: ["END"] }),
      choice: {
        index: 0,
        message: { role: "assistant", content: "Hello. ", refusal: null },
        logprobs: null,
        finish_reason: "stop",
        [STOP_SEQUENCE]: "END",
      },
    },
    {
      name: "stop not reached: content whole, finish kept",
      answer: answer({ role: "assistant", content: "Hello. EN" }, "length"),
      plan: plan({ stop: ["END"] }),
      choice: {
        index: 0,
        message: { role: "assistant", content: "Hello. EN", refusal: null },
        logprobs: null,
        finish_reason: "length",
      },
    },
    {
      name: "finish_reason function_call without a call is stop",
      answer: answer({ role: "assistant", content: "No call." }, "function_call"),
      plan: plan(),
      choice: {
        index: 0,
        message: { role: "assistant", content: "No call.", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    },
    {
      name: "blacklist is content_filter (API-chat.md §3)",
      answer: answer({ role: "assistant", content: "Не могу." }, "blacklist"),
      plan: plan(),
      choice: {
        index: 0,
        message: { role: "assistant", content: "Не могу.", refusal: null },
        logprobs: null,
        finish_reason: "content_filter",
      },
    },
    {
      name: "no finish_reason and no content",
      answer: answer({ role: "assistant" }),
      plan: plan(),
      choice: {
        index: 0,
        message: { role: "assistant", content: "", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    },
    {
      name: "renamed tool mapped back; text next to the call kept",
      answer: answer({
        role: "assistant",
        content: "Searching.",
        function_call: { name: "user_web_search", arguments: { q: "x" } },
      }, "function_call"),
      plan: plan({ names: toolNamesFor(["web_search"]) }),
      choice: {
        index: 0,
        message: {
          role: "assistant",
          content: "Searching.",
          refusal: null,
          tool_calls: [{
            id: "call_gw-generated",
            type: "function",
            function: { name: "web_search", arguments: '{"q":"x"}' },
          }],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    },
    {
      name: "a call to another function while answerFunction is set is a tool call",
      answer: answer({
        role: "assistant",
        content: "",
        function_call: { name: "lookup", arguments: {} },
        functions_state_id: "77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5",
      }, "function_call"),
      plan: plan({ answerFunction: "out" }),
      choice: {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [{
            id: "call_77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5",
            type: "function",
            function: { name: "lookup", arguments: "{}" },
          }],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const completion = toOpenAICompletion(row.answer, row.plan, IDS);
      // Generated tool-call ids are random; their form is checked, then they are pinned.
      for (const call of completion.choices[0]?.message.tool_calls ?? []) {
        if (call.id.startsWith("call_gw")) {
          assert.match(call.id, /^call_gw[0-9a-f]{32}$/);
          call.id = "call_gw-generated";
        }
      }
      assert.deepEqual(completion, expectedWith(row.choice));
    });
  }
});

Deno.test("toOpenAICompletion handles missing fields", async (t) => {
  await t.step("no model: no system_fingerprint", () => {
    const completion = toOpenAICompletion(
      { choices: [{ message: { content: "Hi" }, finish_reason: "stop" }] },
      plan(),
      IDS,
    );
    assert.equal("system_fingerprint" in completion, false);
  });
  await t.step("no index: the position in choices", () => {
    const completion = toOpenAICompletion(
      {
        choices: [
          { message: { content: "a" }, finish_reason: "stop" },
          { message: { content: "b" }, finish_reason: "stop" },
        ],
      },
      plan(),
      IDS,
    );
    assert.deepEqual(
      completion.choices.map((c) => [c.index, c.message.content]),
      [[0, "a"], [1, "b"]],
    );
  });
});

Deno.test("newResponseIds gives a chatcmpl- id and the time in seconds", () => {
  const before = Math.floor(Date.now() / 1000);
  const ids = newResponseIds();
  assert.match(ids.id, /^chatcmpl-[0-9a-f]{32}$/);
  assert.ok(ids.created >= before && ids.created <= before + 1, `created ${ids.created}`);
  assert.notEqual(newResponseIds().id, ids.id);
});

Deno.test("toOpenAICompletion puts reasoning in reasoning_content, never in content", async (t) => {
  const rows: {
    name: string;
    message: GigaChatCompletion["choices"][number]["message"];
    expected: { content: string | null; reasoning_content?: string };
  }[] = [
    {
      name: "GigaChat's reasoning_content field (API-chat.md §3)",
      message: { role: "assistant", content: "4", reasoning_content: "2+2" },
      expected: { content: "4", reasoning_content: "2+2" },
    },
    {
      name: "an inline <think> block",
      message: { role: "assistant", content: "<think>2+2</think>\n4" },
      expected: { content: "4", reasoning_content: "2+2" },
    },
    {
      name: "no reasoning, no field",
      message: { role: "assistant", content: "4" },
      expected: { content: "4" },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const completion = toOpenAICompletion(
        { choices: [{ message: row.message, index: 0, finish_reason: "stop" }] },
        plan(),
        IDS,
      );
      const { content, reasoning_content } = completion.choices[0].message;
      assert.deepEqual(
        reasoning_content === undefined ? { content } : { content, reasoning_content },
        row.expected,
      );
    });
  }
});
