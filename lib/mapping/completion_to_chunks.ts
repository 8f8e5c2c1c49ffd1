import type { OpenAIChatCompletion, OpenAIChatCompletionChunk } from "../openai/types.ts";

/**
 * A finished completion as a stream: role, content, tool calls, finish, then usage if asked.
 * Used where the answer must be checked whole before any of it is sent (JSON response_format).
 */
export function completionToChunks(
  completion: OpenAIChatCompletion,
  includeUsage: boolean,
): OpenAIChatCompletionChunk[] {
  const base = {
    id: completion.id,
    object: "chat.completion.chunk" as const,
    created: completion.created,
    model: completion.model,
    ...(completion.system_fingerprint ? { system_fingerprint: completion.system_fingerprint } : {}),
    ...(includeUsage ? { usage: null } : {}),
  };
  const chunks: OpenAIChatCompletionChunk[] = [];
  for (const choice of completion.choices) {
    const { index, message } = choice;
    const delta = (d: OpenAIChatCompletionChunk["choices"][number]["delta"]) =>
      chunks.push({ ...base, choices: [{ index, delta: d, logprobs: null, finish_reason: null }] });
    if (message.reasoning_content) {
      delta({ role: "assistant", reasoning_content: message.reasoning_content });
      delta({ content: message.content ?? "" });
    } else {
      delta({ role: "assistant", content: message.content ?? "" });
    }
    (message.tool_calls ?? []).forEach((call, k) => delta({ tool_calls: [{ index: k, ...call }] }));
    if (message.function_call) delta({ function_call: message.function_call });
    chunks.push({
      ...base,
      choices: [{ index, delta: {}, logprobs: null, finish_reason: choice.finish_reason }],
    });
  }
  if (includeUsage && completion.usage) {
    chunks.push({ ...base, choices: [], usage: completion.usage });
  }
  return chunks;
}
