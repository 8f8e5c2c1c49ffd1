import assert from "node:assert/strict";
import type { GigaChatCompletion } from "../../../../lib/gigachat/types.ts";
import {
  fromGigaChatV2Answer,
  v2AnswerProblem,
} from "../../../../lib/mapping/v2/from_gigachat_v2_answer.ts";

const SAMPLES = new URL("../../../../fake_gigachat/samples/", import.meta.url);
const sample = async (name: string) => JSON.parse(await Deno.readTextFile(new URL(name, SAMPLES)));

Deno.test("fromGigaChatV2Answer reads the recorded v2 answers (samples/v2chat_*_response.json)", async (t) => {
  const rows: { name: string; sample: string; expected: GigaChatCompletion }[] = [
    {
      name: "simple",
      sample: "v2chat_simple_response.json",
      expected: {
        choices: [{
          message: { role: "assistant", content: "Hello" },
          index: 0,
          finish_reason: "stop",
        }],
        model: "GigaChat-3-Ultra:32.3.18.5",
        created: 1780321855,
        usage: {
          prompt_tokens: 19,
          completion_tokens: 2,
          total_tokens: 21,
          precached_prompt_tokens: 0,
        },
      },
    },
    {
      name: "a function call: its tool_state_id as functions_state_id",
      sample: "v2chat_function_call_1_response.json",
      expected: {
        choices: [{
          message: {
            role: "assistant",
            function_call: { name: "get_order_status", arguments: { order_id: "A-1024" } },
            functions_state_id: "019e8373-dc9a-7883-af60-ebb20b79e1e1",
          },
          index: 0,
          finish_reason: "function_call",
        }],
        model: "GigaChat-3-Ultra:32.3.18.5",
        created: 1780321868,
        usage: {
          prompt_tokens: 88,
          completion_tokens: 25,
          total_tokens: 113,
          precached_prompt_tokens: 0,
        },
      },
    },
    {
      name: "a hosted tool's cached prompt tokens",
      sample: "v2chat_tool_code_interpreter_response.json",
      expected: {
        choices: [{
          message: {
            role: "assistant",
            content: "The sum of the first 20 prime numbers is 639.",
            functions_state_id: "019e8374-4195-79f1-98ec-55a4de3ab317",
          },
          index: 0,
          finish_reason: "stop",
        }],
        model: "GigaChat-3-Ultra:32.3.18.5",
        created: 1780321894,
        usage: {
          prompt_tokens: 3963,
          completion_tokens: 157,
          total_tokens: 4120,
          precached_prompt_tokens: 3710,
        },
      },
    },
    {
      name: "a generated image: its file kept, the text after it",
      sample: "v2chat_tool_image_generate_response.json",
      expected: {
        choices: [{
          message: {
            role: "assistant",
            content: "A simple square icon concept for a Python SDK release has been created.",
            functions_state_id: "019e8374-ae4c-7c7d-bc58-056e61761eb7",
            files: [{
              id: "f4b17167-3fa4-40aa-80c6-c737ee40d961",
              mime: "image/jpeg",
              target: "image",
            }],
          },
          index: 0,
          finish_reason: "stop",
        }],
        model: "GigaChat-3-Ultra:32.3.18.5",
        created: 1780321922,
        usage: {
          prompt_tokens: 999,
          completion_tokens: 42,
          total_tokens: 1041,
          precached_prompt_tokens: 830,
        },
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      assert.deepEqual(fromGigaChatV2Answer(await sample(row.sample)), row.expected);
    });
  }
  await t.step("web search: the sources, keyed as the text cites them", async () => {
    const message = fromGigaChatV2Answer(await sample("v2chat_tool_web_search_response.json"))
      .choices[0].message;
    assert.match(message.content ?? "", /^The latest stable release of Python, Python 3\.15/);
    assert.deepEqual(message.sources, {
      "1": {
        url:
          "https://learn.microsoft.com/ru-ru/agent-framework/support/upgrade/python-2026-significant-changes",
        title: "Руководство по значительным изменениям в Python 2026",
      },
      "2": {
        url: "https://realpython.com/python-news-february-2026/",
        title: "pandas 3.0 Lands Breaking Changes and Other Python News for February 2026...",
      },
    });
  });
});

Deno.test("v2AnswerProblem accepts the recorded answers and names what is wrong with others", async (t) => {
  for (
    const name of [
      "v2chat_simple_response.json",
      "v2chat_function_call_1_response.json",
      "v2chat_tool_web_search_response.json",
      "v2chat_tool_image_generate_response.json",
    ]
  ) {
    await t.step(name, async () => assert.equal(v2AnswerProblem(await sample(name)), undefined));
  }
  const rows: [string, unknown, string][] = [
    ["an array", [], "it is not a JSON object"],
    [
      "content a number",
      { messages: [{ content: 5 }] },
      "a message's content is not an array of parts",
    ],
    ["a null part", { messages: [{ content: [null] }] }, "a content part is not an object"],
  ];
  for (const [name, value, problem] of rows) {
    await t.step(name, () => assert.equal(v2AnswerProblem(value), problem));
  }
});

Deno.test("fromGigaChatV2Answer reads what the samples do not show", async (t) => {
  await t.step(
    "a reasoning message's text as reasoning_content (reading of the role list, §9)",
    () => {
      const answer = fromGigaChatV2Answer({
        messages: [
          { role: "reasoning", content: [{ text: "Think" }, { tool_execution: { name: "x" } }] },
          { role: "assistant", content: [{ text: "A" }, { text: "B" }] },
        ],
      });
      assert.deepEqual(answer.choices[0].message, {
        role: "assistant",
        content: "AB",
        reasoning_content: "Think",
      });
      assert.equal(answer.choices[0].finish_reason, undefined);
    },
  );
  await t.step("the finish_reason on a message when there is none at the top", () => {
    const answer = fromGigaChatV2Answer({
      messages: [{ role: "assistant", content: [{ text: "x" }], finish_reason: "length" }],
    });
    assert.equal(answer.choices[0].finish_reason, "length");
  });
  await t.step("a second function call in one message is dropped, the first kept", () => {
    const answer = fromGigaChatV2Answer({
      messages: [{
        role: "assistant",
        content: [
          { function_call: { name: "a", arguments: {} } },
          { function_call: { name: "b", arguments: {} } },
        ],
      }],
    });
    assert.equal(answer.choices[0].message.function_call?.name, "a");
  });
  await t.step("reasoning tokens when GigaChat counts them", () => {
    const answer = fromGigaChatV2Answer({
      messages: [],
      usage: { input_tokens: 1, output_tokens: 5, output_tokens_details: { reasoning_tokens: 4 } },
    });
    assert.deepEqual(answer.usage, {
      prompt_tokens: 1,
      completion_tokens: 5,
      completion_tokens_details: { reasoning_tokens: 4 },
    });
  });
});
