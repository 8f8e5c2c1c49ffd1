// Chat chunks and chunk streams for the dialects' stream renderers, built by hand.
import type { OpenAIChatCompletionChunk, OpenAIUsage } from "../../lib/openai/types.ts";
import type { ChunkStream } from "../../lib/pipeline/chunk_stream.ts";

/** The usage every stream of `chunksOf` ends with: 4 of the 7 output tokens are reasoning. */
export const STREAM_USAGE: OpenAIUsage = {
  prompt_tokens: 5,
  completion_tokens: 7,
  total_tokens: 12,
  prompt_tokens_details: { cached_tokens: 1 },
  completion_tokens_details: { reasoning_tokens: 4 },
};

/** One chunk of the first choice. */
export function chunk(
  delta: Record<string, unknown>,
  finish: string | null = null,
): OpenAIChatCompletionChunk {
  return {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  } as OpenAIChatCompletionChunk;
}

/** A chunk stream that hands out `steps` one `next()` each, then a usage chunk. */
export function chunksOf(steps: OpenAIChatCompletionChunk[][]): ChunkStream {
  let i = 0;
  return {
    idle: true,
    opening: () => [chunk({ role: "assistant", content: "" })],
    next: () => Promise.resolve({ chunks: steps[i++] ?? [], done: i >= steps.length }),
    closing: () => [{ ...chunk({}), choices: [], usage: STREAM_USAGE }],
    release: () => {},
  };
}
