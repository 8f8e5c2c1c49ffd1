import type { GigaChatAssistantPart } from "../gigachat/types.ts";
import type { OpenAIToolCall } from "../openai/types.ts";
import { toToolCallId } from "./tool_call_id.ts";
import type { ToolNames } from "./tool_names.ts";

/** A function call's arguments as OpenAI's JSON string; GigaChat sends an object (§4). */
export function argumentsJson(args: unknown): string {
  if (typeof args === "string") return args;
  return JSON.stringify(args ?? {});
}

/**
 * GigaChat's `function_call` → an OpenAI tool call. The id carries `functions_state_id` so the
 * next turn can send it back without any state in the gateway.
 */
export function toOpenAIToolCall(
  part: GigaChatAssistantPart,
  names: ToolNames,
): OpenAIToolCall | undefined {
  const call = part.function_call;
  if (call === undefined || typeof call.name !== "string") return undefined;
  return {
    id: toToolCallId(part.functions_state_id),
    type: "function",
    function: { name: names.fromUpstream(call.name), arguments: argumentsJson(call.arguments) },
  };
}
