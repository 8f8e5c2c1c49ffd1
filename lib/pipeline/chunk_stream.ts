import type { StreamOutcome } from "../context.ts";
import type { GigaChatChunk } from "../gigachat/types.ts";
import { upstreamStreamError } from "../gigachat/upstream_error.ts";
import { SseDataReader } from "../http/sse.ts";
import type { ChatChunkMapper } from "../mapping/to_openai_chunks.ts";
import type { OpenAIChatCompletionChunk } from "../openai/types.ts";

/**
 * A streamed chat answer as chat completion chunks, whatever dialect frames them: the
 * pipeline's streaming output. Pull-driven, one upstream read at a time.
 */
export interface ChunkStream {
  /** Chunks to send at once, before anything is read upstream. */
  opening(): OpenAIChatCompletionChunk[];
  /** Reads upstream until there are chunks to send; `done` once the answer is complete. */
  next(): Promise<{ chunks: OpenAIChatCompletionChunk[]; done: boolean }>;
  /** The chunks that end a complete answer (usage, when asked for). */
  closing(): OpenAIChatCompletionChunk[];
  /**
   * Lets go of upstream: a complete answer's body is read to its end, any other cancelled;
   * settles once upstream is done with (GigaChat counts the request until then).
   */
  release(outcome: StreamOutcome): Promise<void> | void;
  /** Whether the stream idle timeout applies (a prepared answer has its call's deadline). */
  readonly idle: boolean;
}

/** One upstream event's data (and name) as a v1 chunk; undefined for one to skip. */
export type ChunkDecoder = (data: string, name: string | undefined) => GigaChatChunk | undefined;

/**
 * How long an answer cut at a stop sequence waits for GigaChat's own end, which carries the
 * usage: long enough for a short remainder, short enough not to hold a queue slot and the
 * client for a long one (whose usage then stays unknown).
 */
export const USAGE_GRACE_MS = 3000;

/**
 * GigaChat's SSE body as chat completion chunks, one upstream event at a time through
 * `decode` (v1's chunks by default) and `mapper`. The answer is complete when every one of
 * `choices` has its finish_reason (GigaChat's last chunk also carries usage), whether or not
 * [DONE] and the end of the body follow promptly.
 */
export function relayedChunks(
  upstreamBody: ReadableStream<Uint8Array>,
  mapper: ChatChunkMapper,
  choices: number,
  decode: ChunkDecoder = parseChunk,
): ChunkStream {
  const events = new SseDataReader(upstreamBody);
  // Set once every choice is answered but GigaChat's usage is still to come (a cut at a stop
  // sequence): the rest is read, sending nothing, for USAGE_GRACE_MS at most.
  let answeredAt: number | undefined;
  const answered = () => mapper.finishedChoices >= choices && mapper.complete;
  // Not an async function: a thousand open streams each wait here, and a chain of promises
  // holds less than suspended async calls would (bench/README.md, RSS with 1000 streams).
  const next = (): Promise<{ chunks: OpenAIChatCompletionChunk[]; done: boolean }> => {
    try {
      while (true) {
        const value = events.take();
        if (value === undefined && !events.ended) {
          if (answeredAt === undefined) return events.fill().then(next, afterAnswer);
          // Past the answer, a silent GigaChat is waited for only what is left of the grace.
          return withinGrace(events.fill(), answeredAt).then(
            (filled) => filled ? next() : { chunks: [], done: true },
            afterAnswer,
          );
        }
        if (value === undefined || value === "[DONE]") {
          if (!mapper.complete) throw new Error("GigaChat ended the stream before finishing");
          return Promise.resolve({ chunks: [], done: true });
        }
        const chunk = decode(value, events.eventName);
        // Progress with nothing to send (a hosted tool at work): still a sign of life, so the
        // idle timeout starts over.
        if (chunk === undefined) return Promise.resolve({ chunks: [], done: false });
        const chunks = mapper.map(chunk);
        if (answered()) {
          answeredAt ??= performance.now();
          const waited = performance.now() - answeredAt;
          if (!mapper.awaitingUsage || waited > USAGE_GRACE_MS) {
            return Promise.resolve({ chunks, done: true });
          }
          // Still GigaChat's words past the cut: a sign of life, sent to nobody.
          return Promise.resolve({ chunks, done: false });
        }
        if (chunks.length > 0) return Promise.resolve({ chunks, done: false });
      }
    } catch (error) {
      return afterAnswer(error);
    }
  };
  // What fails after the client has its whole answer (GigaChat's remainder past a stop
  // sequence) does not undo it: the answer is complete, usage or not.
  const afterAnswer = (error: unknown) =>
    answered() ? Promise.resolve({ chunks: [], done: true }) : Promise.reject(error);
  return {
    idle: true,
    opening: () => [mapper.start()],
    next,
    closing: () => mapper.finish(),
    release(outcome) {
      // A complete upstream stream is read to its end so its connection is reused; any other
      // is cancelled, which aborts it.
      return outcome === "complete" ? events.drain(1000) : events.cancel();
    },
  };
}

/**
 * An answer prepared whole before any of it is sent (a checked JSON answer), replayed as
 * chunks. The transport sends headers and keep-alives while it is prepared, so no proxy's idle
 * timeout cuts it; `stop` ends the preparation when the client leaves.
 */
export function preparedChunks(
  chunks: Promise<OpenAIChatCompletionChunk[]>,
  stop: () => void,
): ChunkStream {
  // The client may leave before anything waits for it: its failure must not go unhandled.
  chunks.catch(() => {});
  return {
    idle: false,
    opening: () => [],
    next: async () => ({ chunks: await chunks, done: true }),
    closing: () => [],
    release(outcome) {
      if (outcome !== "complete") stop();
    },
  };
}

function parseChunk(data: string): GigaChatChunk {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw upstreamStreamError("GigaChat sent a stream event that is not JSON");
  }
  if (
    typeof value !== "object" || value === null || !Array.isArray((value as GigaChatChunk).choices)
  ) {
    throw upstreamStreamError("GigaChat sent a stream event without choices");
  }
  return value as GigaChatChunk;
}

/** `filling` settled (true), or false once USAGE_GRACE_MS since `since` have passed first. */
function withinGrace(filling: Promise<void>, since: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const left = Math.max(0, USAGE_GRACE_MS - (performance.now() - since));
  const expired = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), left));
  return Promise.race([filling.then(() => true), expired]).finally(() => clearTimeout(timer));
}
