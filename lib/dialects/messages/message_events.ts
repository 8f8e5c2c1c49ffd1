import type { GatewayError } from "../../errors.ts";
import type { SseSource } from "../../http/sse_transport.ts";
import {
  type OpenAIChatCompletionChunk,
  type OpenAIFinishReason,
  type OpenAIUsage,
  STOP_SEQUENCE,
} from "../../openai/types.ts";
import type { ChunkStream } from "../../pipeline/chunk_stream.ts";
import { toAnthropicError } from "./anthropic_error.ts";
import {
  newMessageId,
  thinkingBlock,
  toAnthropicUsage,
  toolUseBlock,
  toStopReason,
  webSearchBlocks,
} from "./to_message.ts";

const encoder = new TextEncoder();

function event(type: string, data: Record<string, unknown>): Uint8Array {
  return encoder.encode(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

/**
 * The chat pipeline's chunk stream as the Messages event stream the Anthropic SDKs and Claude
 * Code parse: `message_start`, each block's start, deltas and stop, `message_delta` with the
 * stop reason and usage, `message_stop`; `ping` as the keep-alive, and `event: error` for a
 * failure after the first byte.
 */
export function messageEvents(stream: ChunkStream, model: string): SseSource {
  let index = -1;
  let open: "thinking" | "text" | undefined;
  let thinking = "";
  let finish: OpenAIFinishReason | undefined;
  let stopSequence: string | undefined;
  let usage: OpenAIUsage | undefined;
  let searches = 0;

  const close = (out: Uint8Array[]) => {
    if (open === undefined) return;
    if (open === "thinking") {
      // The signature comes last, once the whole thinking text is known.
      out.push(event("content_block_delta", {
        index,
        delta: {
          type: "signature_delta",
          signature: (thinkingBlock(thinking) as { signature: string }).signature,
        },
      }));
    }
    out.push(event("content_block_stop", { index }));
    open = undefined;
  };
  const start = (kind: "thinking" | "text", out: Uint8Array[]) => {
    if (open === kind) return;
    close(out);
    index++;
    open = kind;
    out.push(event("content_block_start", {
      index,
      content_block: kind === "text"
        ? { type: "text", text: "" }
        : { type: "thinking", thinking: "", signature: "" },
    }));
  };
  const handle = (chunks: OpenAIChatCompletionChunk[]): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (const chunk of chunks) {
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.index !== 0) continue;
        const delta = choice.delta;
        if (delta.reasoning_content) {
          start("thinking", out);
          thinking += delta.reasoning_content;
          out.push(event("content_block_delta", {
            index,
            delta: { type: "thinking_delta", thinking: delta.reasoning_content },
          }));
        }
        if (delta.content) {
          start("text", out);
          out.push(event("content_block_delta", {
            index,
            delta: { type: "text_delta", text: delta.content },
          }));
        }
        const searched = webSearchBlocks(delta.annotations);
        if (searched.length > 0) searches++;
        for (const block of searched) {
          // Whole blocks: nothing of them streams.
          close(out);
          index++;
          out.push(
            event("content_block_start", { index, content_block: block }),
            event("content_block_stop", { index }),
          );
        }
        for (const call of delta.tool_calls ?? []) {
          close(out);
          index++;
          const block = toolUseBlock(call) as { id: string; name: string; input: unknown };
          out.push(
            event("content_block_start", {
              index,
              content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
            }),
            event("content_block_delta", {
              index,
              delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
            }),
            event("content_block_stop", { index }),
          );
        }
        if (choice.finish_reason) finish = choice.finish_reason;
        if (choice[STOP_SEQUENCE] !== undefined) stopSequence = choice[STOP_SEQUENCE];
      }
    }
    return out;
  };

  return {
    opening: () => [
      event("message_start", {
        message: {
          id: newMessageId(),
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: toAnthropicUsage(undefined),
        },
      }),
      ...handle(stream.opening()),
    ],
    next: () => stream.next().then(({ chunks, done }) => ({ bytes: handle(chunks), done })),
    closing: () => {
      const out = handle(stream.closing());
      close(out);
      out.push(
        event("message_delta", {
          delta: stopSequence === undefined
            ? { stop_reason: toStopReason(finish), stop_sequence: null }
            : { stop_reason: "stop_sequence", stop_sequence: stopSequence },
          usage: {
            ...toAnthropicUsage(usage),
            ...(searches > 0
              ? { server_tool_use: { web_search_requests: searches, web_fetch_requests: 0 } }
              : {}),
          },
        }),
        event("message_stop", {}),
      );
      return out;
    },
    failure: (error: GatewayError) => [event("error", { error: toAnthropicError(error).error })],
    keepalive: event("ping", {}),
    release: (outcome) => stream.release(outcome),
  };
}
