import type { OpenAIChatCompletion, OpenAIChunkChoice } from "../openai/types.ts";

// Requests that declare their tools in the legacy `functions` field get answers in the legacy
// shape, as OpenAI gives them: `message.function_call` (no id, one call) and finish_reason
// "function_call", in streams `delta.function_call`.

type CompletionChoice = OpenAIChatCompletion["choices"][number];

/** A choice that calls a tool, in the legacy shape; any other choice as it is. */
export function toLegacyFunctionChoice(choice: CompletionChoice): CompletionChoice {
  const call = choice.message.tool_calls?.[0];
  if (call === undefined) return choice;
  const { tool_calls: _calls, ...message } = choice.message;
  return {
    ...choice,
    message: { ...message, function_call: call.function },
    finish_reason: "function_call",
  };
}

/** A stream choice in the legacy shape: a tool-call delta becomes a `function_call` delta. */
export function toLegacyFunctionChunkChoice(choice: OpenAIChunkChoice): OpenAIChunkChoice {
  const { tool_calls: calls, ...delta } = choice.delta;
  const finish_reason = choice.finish_reason === "tool_calls"
    ? "function_call"
    : choice.finish_reason;
  if (calls === undefined || calls.length === 0) return { ...choice, finish_reason };
  return { ...choice, delta: { ...delta, function_call: calls[0].function }, finish_reason };
}
