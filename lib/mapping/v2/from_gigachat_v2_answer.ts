import type {
  GigaChatAssistantPart,
  GigaChatCompletion,
  GigaChatUsage,
} from "../../gigachat/types.ts";
import type {
  GigaChatV2Answer,
  GigaChatV2AnswerMessage,
  GigaChatV2Usage,
} from "../../gigachat/v2_types.ts";

/**
 * A v2 answer → the v1 answer shape the rest of the mapping reads (API-more.md §9): text parts
 * joined, a `function_call` part with its `tool_state_id` as v1's `functions_state_id`,
 * `role: "reasoning"` text as `reasoning_content`, web sources and generated files kept,
 * usage renamed. v2 has one choice; only one function call per message has been seen, and a
 * second would be dropped here.
 */
export function fromGigaChatV2Answer(answer: GigaChatV2Answer): GigaChatCompletion {
  const message = toAssistantPart(answer.messages ?? []);
  const finish = answer.finish_reason ?? answer.messages?.findLast((m) => m.finish_reason)
    ?.finish_reason;
  const completion: GigaChatCompletion = {
    choices: [{ message, index: 0, ...(finish ? { finish_reason: finish } : {}) }],
  };
  if (answer.model !== undefined) completion.model = answer.model;
  if (answer.created_at !== undefined) completion.created = answer.created_at;
  if (answer.usage !== undefined) completion.usage = fromGigaChatV2Usage(answer.usage);
  return completion;
}

/** v2 usage → v1's: input/output tokens, cached tokens as `precached_prompt_tokens`. */
export function fromGigaChatV2Usage(usage: GigaChatV2Usage): GigaChatUsage {
  const out: GigaChatUsage = {};
  if (typeof usage.input_tokens === "number") out.prompt_tokens = usage.input_tokens;
  if (typeof usage.output_tokens === "number") out.completion_tokens = usage.output_tokens;
  if (typeof usage.total_tokens === "number") out.total_tokens = usage.total_tokens;
  const cached = usage.input_tokens_details?.cached_tokens;
  if (typeof cached === "number") out.precached_prompt_tokens = cached;
  const reasoning = usage.output_tokens_details?.reasoning_tokens;
  if (typeof reasoning === "number") {
    out.completion_tokens_details = { reasoning_tokens: reasoning };
  }
  return out;
}

/**
 * Why `value` is not a v2 answer (or stream event data) the mapping can read, if it is not:
 * messages, their content parts and files must be what §9 says they are.
 */
export function v2AnswerProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "it is not a JSON object";
  const { messages } = value as { messages?: unknown };
  if (messages === undefined) return undefined;
  if (!Array.isArray(messages)) return "its messages are not an array";
  for (const message of messages) {
    if (!isObject(message)) return "a message is not an object";
    const { content } = message as { content?: unknown };
    if (content === undefined) continue;
    if (!Array.isArray(content)) return "a message's content is not an array of parts";
    for (const part of content) {
      if (!isObject(part)) return "a content part is not an object";
      const { text, files, function_call: call } = part as Record<string, unknown>;
      if (text !== undefined && typeof text !== "string") return "a text part is not a string";
      if (files !== undefined && !Array.isArray(files)) return "a files part is not an array";
      if (
        call !== undefined &&
        (!isObject(call) || typeof (call as { name?: unknown }).name !== "string")
      ) {
        return "a function_call part has no name";
      }
    }
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The messages of one answer or delta (shape checked by {@linkcode v2AnswerProblem}), as one v1
 * assistant message or delta. A `tool_state_id` is kept wherever it stands: in a stream it may
 * come before the call it belongs to.
 */
export function toAssistantPart(
  messages: readonly GigaChatV2AnswerMessage[],
): GigaChatAssistantPart {
  const part: GigaChatAssistantPart = {};
  let text: string | undefined;
  let reasoning: string | undefined;
  for (const message of messages) {
    if (message.role === "assistant" || message.role === undefined) part.role = "assistant";
    if (typeof message.tool_state_id === "string") part.functions_state_id = message.tool_state_id;
    for (const piece of message.content ?? []) {
      if (typeof piece.text === "string") {
        if (message.role === "reasoning") reasoning = (reasoning ?? "") + piece.text;
        else text = (text ?? "") + piece.text;
      }
      if (piece.function_call !== undefined && part.function_call === undefined) {
        part.function_call = piece.function_call;
      }
      const sources = piece.inline_data?.sources;
      if (isObject(sources) && Object.keys(sources).length > 0) {
        part.sources = { ...part.sources, ...sources };
      }
      for (const file of piece.files ?? []) {
        if (typeof file?.id === "string") (part.files ??= []).push({ ...file });
      }
    }
  }
  if (text !== undefined) part.content = text;
  if (reasoning !== undefined) part.reasoning_content = reasoning;
  return part;
}
