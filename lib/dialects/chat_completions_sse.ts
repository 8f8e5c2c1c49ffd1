import type { GatewayError } from "../errors.ts";
import { SSE_DONE, sseData } from "../http/sse.ts";
import type { SseSource } from "../http/sse_transport.ts";
import type { ChunkStream } from "../pipeline/chunk_stream.ts";
import type { OpenAIChatCompletionChunk } from "../openai/types.ts";

/**
 * Chat completions' SSE framing of a chunk stream: `data: <chunk>` per chunk, `data: [DONE]`
 * at the end, and an error after the first byte as an `error` body event before [DONE].
 */
export function chatCompletionsSse(stream: ChunkStream): SseSource {
  return {
    opening: () => stream.opening().map(sseData),
    next: () => stream.next().then(framed),
    closing: () => [...stream.closing().map(sseData), SSE_DONE],
    failure: (error: GatewayError) => [sseData(error.toBody()), SSE_DONE],
    release: (outcome) => stream.release(outcome),
  };
}

function framed(
  { chunks, done }: { chunks: OpenAIChatCompletionChunk[]; done: boolean },
): { bytes: Uint8Array[]; done: boolean } {
  return { bytes: chunks.map(sseData), done };
}
