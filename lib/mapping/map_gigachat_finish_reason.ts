import type { OpenAIFinishReason } from "../openai/types.ts";

/**
 * GigaChat's finish_reason (API-chat.md §3) → OpenAI's. `blacklist` (a restricted topic) is
 * OpenAI's `content_filter`. `error` (the model produced invalid arguments for a function)
 * becomes `stop`: no valid call was made and the turn is over, and OpenAI clients such as
 * OpenClaw treat any value they do not know as a failed request.
 */
export function mapGigaChatFinishReason(reason: string | null | undefined): OpenAIFinishReason {
  switch (reason) {
    case "length":
      return "length";
    case "function_call":
      return "tool_calls";
    case "blacklist":
      return "content_filter";
    case "stop":
    case "error":
      return "stop";
    default:
      // Absent or a value GigaChat may add later: the answer ended, which is what stop says.
      return "stop";
  }
}
