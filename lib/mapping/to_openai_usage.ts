import type { GigaChatUsage } from "../gigachat/types.ts";
import type { OpenAIUsage } from "../openai/types.ts";

/** GigaChat usage → OpenAI's; `precached_prompt_tokens` is OpenAI's `cached_tokens` (§3). */
export function toOpenAIUsage(usage: GigaChatUsage | undefined): OpenAIUsage {
  const prompt = usage?.prompt_tokens ?? 0;
  const completion = usage?.completion_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage?.total_tokens ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.precached_prompt_tokens ?? 0 },
  };
}
