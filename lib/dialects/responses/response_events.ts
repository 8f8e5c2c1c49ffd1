import type { GatewayError } from "../../errors.ts";
import type { SseSource } from "../../http/sse_transport.ts";
import type { OpenAIChatCompletionChunk } from "../../openai/types.ts";
import type { ChunkStream } from "../../pipeline/chunk_stream.ts";
import { AnswerBlocks, type BlockEvent, type TextKind } from "../answer_blocks.ts";
import {
  imageItem,
  messageItem,
  newId,
  type OutputItem,
  reasoningItem,
  type ResponseObject,
  responseObject,
  type ResponsesAnnotation,
  type ResponseSetting,
  toolCallItem,
  toResponsesAnnotations,
} from "./to_response.ts";

const encoder = new TextEncoder();

/** The item being streamed, and a message's citations so far. */
interface OpenItem {
  id: string;
  index: number;
  annotations: ResponsesAnnotation[];
}

/**
 * The chat pipeline's chunk stream as the Responses event stream the OpenAI SDKs and Codex
 * parse: named events with increasing `sequence_number`s, `response.created` first, an item's
 * `added`, deltas and `done`, and `response.completed` (or `.incomplete`) with the whole
 * Response last; a failure after the first byte is an `error` event and `response.failed`.
 * `onDone` gets the finished Response (for the store), and is awaited before the client
 * hears `response.completed`: its next turn may reach another instance at once.
 */
export function responseEvents(
  stream: ChunkStream,
  setting: ResponseSetting,
  onDone: (response: ResponseObject) => Promise<void>,
): SseSource {
  const blocks = new AnswerBlocks({ citations: "in-text" });
  let sequence = 0;
  const output: OutputItem[] = [];
  let open: OpenItem | undefined;

  const event = (type: string, fields: Record<string, unknown>): Uint8Array =>
    encoder.encode(
      `event: ${type}\ndata: ${
        JSON.stringify({ type, sequence_number: sequence++, ...fields })
      }\n\n`,
    );

  // `broken`: the answer failed mid-item, which then ends incomplete, not completed.
  const close = (kind: TextKind, text: string, broken = false): Uint8Array[] => {
    const { id, index, annotations } = open as OpenItem;
    open = undefined;
    const at = { item_id: id, output_index: index };
    if (kind === "reasoning") {
      const item: OutputItem = broken
        ? { ...reasoningItem(setting, id, text), status: "incomplete" } as OutputItem
        : reasoningItem(setting, id, text);
      output.push(item);
      return [
        event("response.reasoning_summary_text.done", { ...at, summary_index: 0, text }),
        event("response.reasoning_summary_part.done", {
          ...at,
          summary_index: 0,
          part: { type: "summary_text", text },
        }),
        event("response.output_item.done", { output_index: index, item }),
      ];
    }
    const item = messageItem(id, text, annotations, broken ? "incomplete" : "completed");
    const part = { type: "output_text", text, annotations, logprobs: [] };
    output.push(item);
    return [
      event("response.output_text.done", { ...at, content_index: 0, text, logprobs: [] }),
      event("response.content_part.done", { ...at, content_index: 0, part }),
      event("response.output_item.done", { output_index: index, item }),
    ];
  };

  const openItem = (kind: TextKind): Uint8Array[] => {
    const id = newId(kind === "reasoning" ? "rs" : "msg");
    const index = output.length;
    open = { id, index, annotations: [] };
    const at = { item_id: id, output_index: index };
    if (kind === "reasoning") {
      return [
        event("response.output_item.added", {
          output_index: index,
          item: { type: "reasoning", id, summary: [] },
        }),
        event("response.reasoning_summary_part.added", {
          ...at,
          summary_index: 0,
          part: { type: "summary_text", text: "" },
        }),
      ];
    }
    return [
      event("response.output_item.added", {
        output_index: index,
        item: { type: "message", id, status: "in_progress", role: "assistant", content: [] },
      }),
      event("response.content_part.added", {
        ...at,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [], logprobs: [] },
      }),
    ];
  };

  /** A whole item at once: a generated image or a tool call. */
  const whole = (item: OutputItem, streamed: Uint8Array[] = []): Uint8Array[] => {
    const index = output.length;
    output.push(item);
    return [...streamed, event("response.output_item.done", { output_index: index, item })];
  };

  const toolCall = (call: Parameters<typeof toolCallItem>[1]): Uint8Array[] => {
    const item = toolCallItem(setting, call);
    const index = output.length;
    const at = { item_id: item.id, output_index: index };
    if (item.type === "function_call") {
      return whole(item, [
        event("response.output_item.added", {
          output_index: index,
          item: { ...item, arguments: "", status: "in_progress" },
        }),
        event("response.function_call_arguments.delta", { ...at, delta: item.arguments }),
        event("response.function_call_arguments.done", {
          ...at,
          name: item.name,
          arguments: item.arguments,
        }),
      ]);
    }
    if (item.type === "custom_tool_call") {
      return whole(item, [
        event("response.output_item.added", {
          output_index: index,
          item: { ...item, input: "", status: "in_progress" },
        }),
        event("response.custom_tool_call_input.delta", { ...at, delta: item.input }),
        event("response.custom_tool_call_input.done", { ...at, input: item.input }),
      ]);
    }
    return whole(item);
  };

  /** One block event as Responses events. */
  const render = (block: BlockEvent): Uint8Array[] => {
    switch (block.type) {
      case "open":
        return openItem(block.kind);
      case "delta": {
        const { id, index } = open as OpenItem;
        return [
          block.kind === "reasoning"
            ? event("response.reasoning_summary_text.delta", {
              item_id: id,
              output_index: index,
              summary_index: 0,
              delta: block.text,
            })
            : event("response.output_text.delta", {
              item_id: id,
              output_index: index,
              content_index: 0,
              delta: block.text,
              logprobs: [],
            }),
        ];
      }
      case "close":
        return close(block.kind, block.text);
      case "citations": {
        const item = open as OpenItem;
        return toResponsesAnnotations(block.citations).map((annotation) => {
          const added = event("response.output_text.annotation.added", {
            item_id: item.id,
            output_index: item.index,
            content_index: 0,
            annotation_index: item.annotations.length,
            annotation,
          });
          item.annotations.push(annotation);
          return added;
        });
      }
      case "image": {
        const item = imageItem(block.image);
        return whole(item, [
          event("response.output_item.added", {
            output_index: output.length,
            item: { ...item, status: "in_progress", result: null },
          }),
        ]);
      }
      case "tool_call":
        return toolCall(block.call);
    }
  };

  const handle = (chunks: OpenAIChatCompletionChunk[]): Uint8Array[] =>
    blocks.read(chunks).flatMap(render);

  return {
    opening: () => {
      const response = responseObject(setting, []);
      return [
        event("response.created", { response }),
        event("response.in_progress", { response }),
        ...handle(stream.opening()),
      ];
    },
    next: () =>
      stream.next().then(({ chunks, done }) => {
        const bytes = handle(chunks);
        if (!done) return { bytes, done };
        // The closing events go out with the last read, once the store has the response.
        bytes.push(...handle(stream.closing()), ...blocks.end().flatMap(render));
        const response = responseObject(setting, output, {
          finish: blocks.finish,
          usage: blocks.usage,
        });
        const type = response.status === "incomplete"
          ? "response.incomplete"
          : "response.completed";
        return onDone(response).then(() => {
          bytes.push(event(type, { response }));
          return { bytes, done };
        });
      }),
    closing: () => [],
    failure: (error: GatewayError) => {
      const out = blocks.end().flatMap((block) =>
        block.type === "close" ? close(block.kind, block.text, true) : []
      );
      const failed = {
        ...responseObject(setting, output),
        status: "failed" as const,
        error: { code: responseErrorCode(error), message: error.message },
      };
      out.push(
        event("error", { code: error.code, message: error.message, param: error.param }),
        event("response.failed", { response: failed }),
      );
      return out;
    },
    release: (outcome) => stream.release(outcome),
  };
}

/**
 * The code of a failed Response, from those OpenAI's `ResponseError` takes: a rate limit is
 * `rate_limit_exceeded`, a request GigaChat refused `invalid_prompt`, a used-up balance
 * `insufficient_quota`, anything else `server_error`. (The `error` event before it keeps the
 * gateway's own code.)
 */
function responseErrorCode(error: GatewayError): string {
  // Not in ResponseError's list, but what Codex reads as a quota to stop on, not to retry.
  if (error.type === "insufficient_quota") return "insufficient_quota";
  if (error.status === 429 && error.type === "rate_limit_error") return "rate_limit_exceeded";
  if (error.status === 400) return "invalid_prompt";
  return "server_error";
}
