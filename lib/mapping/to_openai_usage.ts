import type { GigaChatUsage } from "../gigachat/types.ts";
import type { OpenAIUsage } from "../openai/types.ts";

/** GigaChat usage → OpenAI's; `precached_prompt_tokens` is OpenAI's `cached_tokens` (§3). */
export function toOpenAIUsage(usage: GigaChatUsage | undefined): OpenAIUsage {
  const prompt = usage?.prompt_tokens ?? 0;
  const completion = usage?.completion_tokens ?? 0;
  const out: OpenAIUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage?.total_tokens ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.precached_prompt_tokens ?? 0 },
  };
  // Only a count GigaChat gave: the reference documents none, and a made-up 0 would tell
  // clients that a reasoning model did not reason.
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === "number") {
    out.completion_tokens_details = { reasoning_tokens: reasoning };
  }
  return out;
}
