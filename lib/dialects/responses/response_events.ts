import type { GatewayError } from "../../errors.ts";
import type { SseSource } from "../../http/sse_transport.ts";
import type {
  OpenAIChatCompletionChunk,
  OpenAIFinishReason,
  OpenAIUsage,
} from "../../openai/types.ts";
import type { ChunkStream } from "../../pipeline/chunk_stream.ts";
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

/** An item being streamed: its text (and a message's citations) so far. */
interface OpenItem {
  kind: "reasoning" | "message";
  id: string;
  index: number;
  text: string;
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
  let sequence = 0;
  const output: OutputItem[] = [];
  let open: OpenItem | undefined;
  let finish: OpenAIFinishReason | undefined;
  let usage: OpenAIUsage | undefined;

  const event = (type: string, fields: Record<string, unknown>): Uint8Array =>
    encoder.encode(
      `event: ${type}\ndata: ${
        JSON.stringify({ type, sequence_number: sequence++, ...fields })
      }\n\n`,
    );

  // `broken`: the answer failed mid-item, which then ends incomplete, not completed.
  const close = (out: Uint8Array[], broken = false) => {
    if (open === undefined) return;
    const { kind, id, index, text, annotations } = open;
    open = undefined;
    const at = { item_id: id, output_index: index };
    if (kind === "reasoning") {
      const item: OutputItem = broken
        ? { ...reasoningItem(setting, id, text), status: "incomplete" } as OutputItem
        : reasoningItem(setting, id, text);
      out.push(
        event("response.reasoning_summary_text.done", { ...at, summary_index: 0, text }),
        event("response.reasoning_summary_part.done", {
          ...at,
          summary_index: 0,
          part: { type: "summary_text", text },
        }),
        event("response.output_item.done", { output_index: index, item }),
      );
      output.push(item);
    } else {
      const item = messageItem(id, text, annotations, broken ? "incomplete" : "completed");
      const part = { type: "output_text", text, annotations, logprobs: [] };
      out.push(
        event("response.output_text.done", { ...at, content_index: 0, text, logprobs: [] }),
        event("response.content_part.done", { ...at, content_index: 0, part }),
        event("response.output_item.done", { output_index: index, item }),
      );
      output.push(item);
    }
  };

  const openItem = (kind: OpenItem["kind"], out: Uint8Array[]): OpenItem => {
    if (open?.kind === kind) return open;
    close(out);
    const id = newId(kind === "reasoning" ? "rs" : "msg");
    const index = output.length;
    open = { kind, id, index, text: "", annotations: [] };
    const at = { item_id: id, output_index: index };
    if (kind === "reasoning") {
      out.push(
        event("response.output_item.added", {
          output_index: index,
          item: { type: "reasoning", id, summary: [] },
        }),
        event("response.reasoning_summary_part.added", {
          ...at,
          summary_index: 0,
          part: { type: "summary_text", text: "" },
        }),
      );
    } else {
      out.push(
        event("response.output_item.added", {
          output_index: index,
          item: { type: "message", id, status: "in_progress", role: "assistant", content: [] },
        }),
        event("response.content_part.added", {
          ...at,
          content_index: 0,
          part: { type: "output_text", text: "", annotations: [], logprobs: [] },
        }),
      );
    }
    return open;
  };

  const handle = (chunks: OpenAIChatCompletionChunk[]): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (const chunk of chunks) {
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        // A Response has one answer: further choices (n > 1) have no place in it.
        if (choice.index !== 0) continue;
        const delta = choice.delta;
        if (delta.reasoning_content) {
          const item = openItem("reasoning", out);
          item.text += delta.reasoning_content;
          out.push(event("response.reasoning_summary_text.delta", {
            item_id: item.id,
            output_index: item.index,
            summary_index: 0,
            delta: delta.reasoning_content,
          }));
        }
        if (delta.content) {
          const item = openItem("message", out);
          item.text += delta.content;
          out.push(event("response.output_text.delta", {
            item_id: item.id,
            output_index: item.index,
            content_index: 0,
            delta: delta.content,
            logprobs: [],
          }));
        }
        for (const annotation of toResponsesAnnotations(delta.annotations)) {
          const item = openItem("message", out);
          out.push(event("response.output_text.annotation.added", {
            item_id: item.id,
            output_index: item.index,
            content_index: 0,
            annotation_index: item.annotations.length,
            annotation,
          }));
          item.annotations.push(annotation);
        }
        for (const image of delta.images ?? []) {
          close(out);
          const item = imageItem(image);
          const index = output.length;
          out.push(
            event("response.output_item.added", {
              output_index: index,
              item: { ...item, status: "in_progress", result: null },
            }),
            event("response.output_item.done", { output_index: index, item }),
          );
          output.push(item);
        }
        for (const call of delta.tool_calls ?? []) {
          close(out);
          const item = toolCallItem(setting, call);
          const index = output.length;
          const at = { item_id: item.id, output_index: index };
          if (item.type === "function_call") {
            out.push(
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
            );
          } else if (item.type === "custom_tool_call") {
            out.push(
              event("response.output_item.added", {
                output_index: index,
                item: { ...item, input: "", status: "in_progress" },
              }),
              event("response.custom_tool_call_input.delta", { ...at, delta: item.input }),
              event("response.custom_tool_call_input.done", { ...at, input: item.input }),
            );
          }
          out.push(event("response.output_item.done", { output_index: index, item }));
          output.push(item);
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    return out;
  };

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
        bytes.push(...handle(stream.closing()));
        close(bytes);
        const response = responseObject(setting, output, { finish, usage });
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
      const out: Uint8Array[] = [];
      close(out, true);
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
