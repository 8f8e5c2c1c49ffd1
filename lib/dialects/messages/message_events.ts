import type { GatewayError } from "../../errors.ts";
import type { SseSource } from "../../http/sse_transport.ts";
import type { OpenAIChatCompletionChunk } from "../../openai/types.ts";
import type { ChunkStream } from "../../pipeline/chunk_stream.ts";
import { AnswerBlocks, type BlockEvent } from "../answer_blocks.ts";
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
  const blocks = new AnswerBlocks({ citations: "apart" });
  let index = -1;
  let searches = 0;

  /** One block event as Messages events (images have no place in a message). */
  const render = (block: BlockEvent): Uint8Array[] => {
    switch (block.type) {
      case "open":
        index++;
        return [event("content_block_start", {
          index,
          content_block: block.kind === "text"
            ? { type: "text", text: "" }
            : { type: "thinking", thinking: "", signature: "" },
        })];
      case "delta":
        return [event("content_block_delta", {
          index,
          delta: block.kind === "text"
            ? { type: "text_delta", text: block.text }
            : { type: "thinking_delta", thinking: block.text },
        })];
      case "close":
        // A thinking block's signature comes last, once its whole text is known.
        return block.kind === "text" ? [event("content_block_stop", { index })] : [
          event("content_block_delta", {
            index,
            delta: {
              type: "signature_delta",
              signature: (thinkingBlock(block.text) as { signature: string }).signature,
            },
          }),
          event("content_block_stop", { index }),
        ];
      case "citations": {
        const searched = webSearchBlocks(block.citations);
        if (searched.length > 0) searches++;
        // Whole blocks: nothing of them streams.
        return searched.flatMap((content_block) => {
          index++;
          return [
            event("content_block_start", { index, content_block }),
            event("content_block_stop", { index }),
          ];
        });
      }
      case "tool_call": {
        index++;
        const use = toolUseBlock(block.call) as { id: string; name: string; input: unknown };
        return [
          event("content_block_start", {
            index,
            content_block: { type: "tool_use", id: use.id, name: use.name, input: {} },
          }),
          event("content_block_delta", {
            index,
            delta: { type: "input_json_delta", partial_json: JSON.stringify(use.input) },
          }),
          event("content_block_stop", { index }),
        ];
      }
      case "image":
        return [];
    }
  };
  const handle = (chunks: OpenAIChatCompletionChunk[]): Uint8Array[] =>
    blocks.read(chunks).flatMap(render);

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
      const out = [...handle(stream.closing()), ...blocks.end().flatMap(render)];
      const stopSequence = blocks.stopSequence;
      out.push(
        event("message_delta", {
          delta: stopSequence === undefined
            ? { stop_reason: toStopReason(blocks.finish), stop_sequence: null }
            : { stop_reason: "stop_sequence", stop_sequence: stopSequence },
          usage: {
            ...toAnthropicUsage(blocks.usage),
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
