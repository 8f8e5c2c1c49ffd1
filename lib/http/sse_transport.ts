import { GatewayError, shuttingDown } from "../errors.ts";
import { SSE_KEEPALIVE } from "./sse.ts";

/** How a streamed answer ended, for its log line. */
export type StreamOutcome = "complete" | "failed" | "client_closed" | "client_stalled";

/**
 * One streamed answer as a dialect frames it; the transport only moves its bytes. Chat
 * completions frame `data: <json>` and end with `data: [DONE]`; other dialects name their
 * events and end otherwise.
 */
export interface SseSource {
  /** Bytes sent at once, before anything is read upstream (e.g. the role chunk). */
  opening(): Uint8Array[];
  /**
   * Reads upstream until there is something to send. `done` says the answer is complete.
   * Throws a GatewayError (or anything else) when the upstream answer fails.
   */
  next(): Promise<{ bytes: Uint8Array[]; done: boolean }>;
  /** Bytes that end a complete answer. */
  closing(): Uint8Array[];
  /** Bytes that end an answer that failed after its first byte. */
  failure(error: GatewayError): Uint8Array[];
  /**
   * Send the failure this long after the last bytes, so it arrives in a read of its own: what
   * @google/genai 1.30 needs to see an error object in a stream.
   */
  failureApartMs?: number;
  /** Lets go of upstream: a complete answer's body is read to its end, any other cancelled. */
  release(outcome: StreamOutcome): void;
  /**
   * What a silent stream is sent now and then: an SSE comment unless the dialect has its own;
   * null for a dialect whose clients take nothing but its events (Gemini's SSE).
   */
  keepalive?: Uint8Array | null;
}

export interface SseTransportOptions {
  /** A silent stream gets a keep-alive comment this often. */
  keepaliveMs: number;
  /**
   * Upstream silent this long (a slow client does not count) ends the stream with an error;
   * undefined when another deadline already bounds the wait (a checked answer's call).
   */
  idleTimeoutMs: number | undefined;
  /**
   * A client that takes nothing of what is waiting for it this long is let go of: the stream
   * is cut and upstream (with its queue slot) released, so a reader that stopped holds nothing.
   */
  clientTimeoutMs: number;
  /**
   * Closes the stalled client's connection (true), unless it cannot (false: other requests
   * share it); then, or without it, the body ends in an error.
   */
  cutConnection?: () => boolean;
  /** Aborts when shutdown stops waiting: the stream ends with an error, not a reset. */
  stopping: AbortSignal;
  onFailure: (error: GatewayError) => void;
  /** Called once, however the stream ends. */
  onEnd: (outcome: StreamOutcome) => void;
}

/**
 * The client's SSE body for `source`: headers can go out at once, keep-alives flow while
 * upstream is silent, an upstream silent past the idle timeout or a gateway shutting down
 * ends the stream in the dialect's own way, and a client that leaves releases upstream.
 * Pull-driven: upstream is read only when the client has taken the last bytes, so a slow
 * reader slows GigaChat instead of filling memory.
 */
export function sseTransport(
  source: SseSource,
  options: SseTransportOptions,
): ReadableStream<Uint8Array> {
  const { keepaliveMs, idleTimeoutMs, clientTimeoutMs, stopping } = options;
  let lastWrite = performance.now();
  // Set while waiting for upstream (not while waiting for a slow client): the idle clock.
  let waitingSince: number | undefined;
  // Set while bytes wait for the client to take them: the stalled-client clock.
  let pendingSince: number | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  let onStopping = () => {};

  const end = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    tail: Uint8Array[],
    outcome: StreamOutcome,
  ) => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    stopping.removeEventListener("abort", onStopping);
    source.release(outcome);
    const finish = () => {
      try {
        for (const bytes of tail) controller.enqueue(bytes);
        controller.close();
      } catch {
        // The client left while the failure waited.
      }
      options.onEnd(outcome);
    };
    const apart = outcome === "failed" ? source.failureApartMs ?? 0 : 0;
    if (apart > 0) setTimeout(finish, apart);
    else finish();
  };
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: GatewayError) => {
    options.onFailure(error);
    end(controller, source.failure(error), "failed");
  };
  const pulled = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    { bytes, done }: { bytes: Uint8Array[]; done: boolean },
  ): Promise<void> | undefined => {
    waitingSince = undefined;
    if (closed) return;
    for (const piece of bytes) controller.enqueue(piece);
    if (bytes.length > 0) lastWrite = pendingSince = performance.now();
    if (done) {
      end(controller, source.closing(), "complete");
      return undefined;
    }
    // Upstream said something with nothing in it for the client (progress): the idle clock
    // starts again, and so must the read, since a pull that enqueued nothing is not repeated.
    return bytes.length === 0 ? read(controller) : undefined;
  };
  const read = (controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> => {
    waitingSince = performance.now();
    // A promise chain, not an async function: a suspended call per open stream costs RSS.
    return source.next().then(
      (next) => pulled(controller, next),
      (error) => broken(controller, error),
    );
  };
  const broken = (controller: ReadableStreamDefaultController<Uint8Array>, error: unknown) => {
    waitingSince = undefined;
    if (closed) return;
    fail(
      controller,
      error instanceof GatewayError ? error : new GatewayError(
        502,
        `The GigaChat stream broke off: ${error instanceof Error ? error.message : error}`,
        { type: "server_error", code: "upstream_stream_error" },
      ),
    );
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const bytes of source.opening()) controller.enqueue(bytes);
      const tick = Math.min(keepaliveMs, idleTimeoutMs ?? keepaliveMs, clientTimeoutMs) / 3;
      timer = setInterval(() => {
        const now = performance.now();
        if (pendingSince !== undefined && now - pendingSince > clientTimeoutMs) {
          return stalled(controller);
        }
        if (
          idleTimeoutMs !== undefined && waitingSince !== undefined &&
          now - waitingSince > idleTimeoutMs
        ) {
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
        if (now - lastWrite < keepaliveMs || source.keepalive === null) return;
        lastWrite = now;
        controller.enqueue(source.keepalive ?? SSE_KEEPALIVE);
      }, Math.max(5, tick));
      onStopping = () => end(controller, source.failure(shuttingDown()), "failed");
      stopping.addEventListener("abort", onStopping, { once: true });
    },
    pull(controller) {
      pendingSince = undefined;
      if (closed) return;
      return read(controller);
    },
    // The client left: upstream is let go of, which aborts its request.
    cancel: () => void letGo("client_closed"),
  });

  function letGo(outcome: "client_closed" | "client_stalled"): boolean {
    if (closed) return false;
    closed = true;
    clearInterval(timer);
    stopping.removeEventListener("abort", onStopping);
    source.release(outcome);
    options.onEnd(outcome);
    return true;
  }

  // Nothing can reach a client that stopped reading: its connection is cut instead. An errored
  // body would do it too, but Deno prints every such error to stderr.
  function stalled(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (!letGo("client_stalled")) return;
    if (options.cutConnection?.() === true) return;
    controller.error(
      new GatewayError(408, `The client took nothing for ${clientTimeoutMs} ms`, {
        type: "invalid_request_error",
        code: "client_stalled",
      }),
    );
  }
}
