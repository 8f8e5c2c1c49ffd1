import type { StreamOutcome } from "../context.ts";
import { GatewayError, shuttingDown } from "../errors.ts";
import type { GigaChatChunk } from "../gigachat/types.ts";
import { SSE_DONE, SSE_KEEPALIVE, sseData, SseDataReader } from "../http/sse.ts";
import type { ChatChunkMapper } from "../mapping/to_openai_chunks.ts";

export interface ChatStreamOptions {
  /** A silent stream gets a keep-alive comment this often. */
  keepaliveMs: number;
  /** GigaChat silent this long (not counting a slow client) ends the stream with an error. */
  idleTimeoutMs: number;
  /** Aborts when shutdown stops waiting: the stream ends with an error event and [DONE]. */
  stopping: AbortSignal;
  onFailure: (error: GatewayError) => void;
  /** Called once, however the stream ends. */
  onEnd: (outcome: StreamOutcome) => void;
  /** Choices asked for (`n`): once all are finished the answer is complete. */
  choices?: number;
}

/**
 * GigaChat's SSE body → the client's SSE body, one upstream event at a time through `mapper`.
 * Pull-driven: the next upstream event is read only when the client has taken the last one, so a
 * slow reader slows GigaChat's stream instead of filling memory. Every way out ends with
 * `data: [DONE]`; a failure after the first byte is an `error` event before it.
 */
export function streamChatAnswer(
  upstreamBody: ReadableStream<Uint8Array>,
  mapper: ChatChunkMapper,
  options: ChatStreamOptions,
): ReadableStream<Uint8Array> {
  const events = new SseDataReader(upstreamBody);
  const { keepaliveMs, idleTimeoutMs, stopping } = options;
  let lastWrite = Date.now();
  // Set while waiting for GigaChat (not while waiting for a slow client): the idle clock.
  let waitingSince: number | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  let onStopping = () => {};

  /**
   * Ends the stream once: the given events, then [DONE]. A complete upstream stream is read to
   * its end so its connection is reused; any other is cancelled, which aborts it.
   */
  const end = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    tail: Uint8Array[],
    outcome: StreamOutcome,
  ) => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    stopping.removeEventListener("abort", onStopping);
    for (const bytes of tail) controller.enqueue(bytes);
    controller.enqueue(SSE_DONE);
    controller.close();
    if (outcome === "complete") events.drain(1000);
    else events.cancel();
    options.onEnd(outcome);
  };
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: GatewayError) => {
    options.onFailure(error);
    end(controller, [sseData(error.toBody())], "failed");
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(sseData(mapper.start()));
      timer = setInterval(() => {
        const now = Date.now();
        if (waitingSince !== undefined && now - waitingSince > idleTimeoutMs) {
          fail(
            controller,
            new GatewayError(
              504,
              `GigaChat sent nothing for ${idleTimeoutMs} ms; the stream was ended.`,
              { type: "server_error", code: "timeout" },
            ),
          );
          return;
        }
        if (now - lastWrite < keepaliveMs) return;
        lastWrite = now;
        controller.enqueue(SSE_KEEPALIVE);
      }, Math.max(5, Math.min(keepaliveMs, idleTimeoutMs) / 3));
      // Shutdown stopped waiting: end the stream the way clients understand, not with a reset.
      onStopping = () => end(controller, [sseData(shuttingDown().toBody())], "failed");
      stopping.addEventListener("abort", onStopping, { once: true });
    },
    async pull(controller) {
      try {
        while (!closed) {
          const value = events.take();
          if (value === undefined && !events.ended) {
            waitingSince = Date.now();
            await events.fill();
            waitingSince = undefined;
            continue;
          }
          if (value === undefined || value === "[DONE]") {
            if (!mapper.complete) throw new Error("GigaChat ended the stream before finishing");
            end(controller, mapper.finish().map(sseData), "complete");
            return;
          }
          const chunks = mapper.map(parseChunk(value));
          for (const chunk of chunks) controller.enqueue(sseData(chunk));
          // Every choice has finished (GigaChat's last chunk also carries usage): the answer is
          // whole, whether or not [DONE] and the end of the body follow promptly.
          if (mapper.finishedChoices >= (options.choices ?? 1) && mapper.complete) {
            end(controller, mapper.finish().map(sseData), "complete");
            return;
          }
          if (chunks.length > 0) {
            lastWrite = Date.now();
            return;
          }
        }
      } catch (error) {
        waitingSince = undefined;
        fail(
          controller,
          error instanceof GatewayError ? error : new GatewayError(
            502,
            `The GigaChat stream broke off: ${error instanceof Error ? error.message : error}`,
            { type: "server_error", code: "upstream_stream_error" },
          ),
        );
      }
    },
    cancel() {
      // The client left: stop reading, which aborts the upstream request.
      closed = true;
      clearInterval(timer);
      stopping.removeEventListener("abort", onStopping);
      options.onEnd("client_closed");
      return events.cancel();
    },
  });
}

function parseChunk(data: string): GigaChatChunk {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new GatewayError(502, "GigaChat sent a stream event that is not JSON", {
      type: "server_error",
      code: "upstream_stream_error",
    });
  }
  if (
    typeof value !== "object" || value === null || !Array.isArray((value as GigaChatChunk).choices)
  ) {
    throw new GatewayError(502, "GigaChat sent a stream event without choices", {
      type: "server_error",
      code: "upstream_stream_error",
    });
  }
  return value as GigaChatChunk;
}
