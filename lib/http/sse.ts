import { createParser } from "eventsource-parser";

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

/** Bytes read per upstream read: small, reused, so a thousand idle streams stay cheap. */
const READ_SIZE = 1024;

/**
 * Reads the `data` fields of an SSE body one event at a time, parsed by the maintained
 * eventsource-parser. It reads into one small reused buffer (a BYOB reader where the body
 * allows it) instead of a pipeline of transform streams, each holding its own chunks, which
 * is most of what an open stream costs (bench/README.md, RSS with 1000 streams).
 */
export class SseDataReader {
  readonly #byob: ReadableStreamBYOBReader | undefined;
  readonly #plain: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #buffer = new ArrayBuffer(READ_SIZE);
  readonly #decoder = new TextDecoder();
  readonly #queue: string[] = [];
  // Event names run beside the data, only for streams that name their events (GigaChat v2).
  readonly #names: (string | undefined)[] = [];
  #name: string | undefined;
  readonly #parser = createParser({
    onEvent: (event) => {
      this.#queue.push(event.data);
      if (event.event !== undefined || this.#names.length > 0) {
        while (this.#names.length < this.#queue.length - 1) this.#names.push(undefined);
        this.#names.push(event.event);
      }
    },
  });
  #ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    try {
      this.#byob = body.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream (a body built in JavaScript): read it chunk by chunk.
      this.#plain = body.getReader();
    }
  }

  /** The next event's data, or undefined once the body has ended. */
  async next(): Promise<string | undefined> {
    while (true) {
      const data = this.take();
      if (data !== undefined || this.#ended) return data;
      await this.fill();
    }
  }

  /** True once the body has ended (or was cancelled): nothing more will be queued. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The next event already read, if any; reads nothing. */
  take(): string | undefined {
    this.#name = this.#names.shift();
    return this.#queue.shift();
  }

  /** The `event:` name of the event `take` returned last, if it had one. */
  get eventName(): string | undefined {
    return this.#name;
  }

  /**
   * Reads the body once and queues the events that completes. Not an async function: a
   * thousand streams each wait here for seconds, so the wait holds one read and its handler,
   * not a chain of suspended calls.
   */
  fill(): Promise<void> {
    return this.#read().then(this.#feed);
  }

  readonly #feed = (bytes: Uint8Array | undefined): void => {
    if (bytes === undefined) {
      // As the SSE spec says, an event cut off before its blank line is dropped.
      this.#ended = true;
    } else {
      this.#parser.feed(this.#decoder.decode(bytes, { stream: true }));
    }
  };

  /**
   * Reads what is left (GigaChat's end of body after [DONE]) for up to `ms`, so the connection
   * goes back to the pool instead of being torn down; cancels after that.
   */
  async drain(ms: number): Promise<void> {
    const deadline = setTimeout(() => this.cancel(), ms);
    try {
      while (!this.#ended && await this.#read() !== undefined) {
        // Discarded: nothing follows [DONE] that a client needs.
      }
    } catch {
      // Cancelled or broken: either way the body is done with.
    } finally {
      clearTimeout(deadline);
      this.#ended = true;
    }
  }

  /** Stops reading; the upstream request is aborted. */
  async cancel(reason?: unknown): Promise<void> {
    this.#ended = true;
    await (this.#byob ?? this.#plain)?.cancel(reason).catch(() => {});
  }

  #read(): Promise<Uint8Array | undefined> {
    if (this.#byob !== undefined) {
      return this.#byob.read(new Uint8Array(this.#buffer, 0, READ_SIZE)).then(this.#filled);
    }
    return this.#plain!.read().then(({ value, done }) => done ? undefined : value);
  }

  readonly #filled = (
    { value, done }: ReadableStreamReadResult<Uint8Array>,
  ): Uint8Array | undefined => {
    if (value !== undefined) this.#buffer = value.buffer as ArrayBuffer;
    return done ? undefined : value;
  };
}
