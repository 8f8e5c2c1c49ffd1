import { EventSourceParserStream } from "eventsource-parser/stream";

const encoder = new TextEncoder();

/** Headers of every SSE answer: sent at once, never buffered by a proxy in between. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache",
  "Connection": "keep-alive",
  "X-Accel-Buffering": "no",
};

/** One `data: <json>` event. */
export function sseData(value: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(value)}\n\n`);
}

/** The terminator OpenAI clients wait for. */
export const SSE_DONE: Uint8Array = encoder.encode("data: [DONE]\n\n");

/** A comment line: ignored by clients, keeps idle connections and proxies from timing out. */
export const SSE_KEEPALIVE: Uint8Array = encoder.encode(": keep-alive\n\n");

/** The `data` fields of an SSE byte stream, parsed by the maintained eventsource-parser. */
export function sseDataStream(body: ReadableStream<Uint8Array>): ReadableStream<string> {
  return body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .pipeThrough(
      new TransformStream<{ data: string }, string>({
        transform(event, controller) {
          controller.enqueue(event.data);
        },
      }),
    );
}
