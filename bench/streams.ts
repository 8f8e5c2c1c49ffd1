// Streaming figures, measured with fetch: autocannon counts whole responses and cannot time the
// chunks inside one. Chunks carry their upstream send time (see stamp.ts), so the gap between
// the upstream send and the client's receipt is read per chunk.
import { percentile } from "./load.ts";
import { sendStamps, wallClockMs } from "./stamp.ts";

export interface StreamTarget {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** For the fake's own TLS; absent for the plain-HTTP gateway. */
  client?: Deno.HttpClient;
}

export interface StreamFigures {
  streams: number;
  failed: number;
  /** Request start to the first body byte. */
  ttfbP50Ms: number;
  ttfbP99Ms: number;
  /** Stamped chunks measured. */
  chunks: number;
  /** Upstream send to client receipt, per chunk. */
  gapP50Ms: number;
  gapP99Ms: number;
}

/** Runs `count` streams, `concurrency` at a time, each read to its end. */
export async function measureStreams(
  target: StreamTarget,
  count: number,
  concurrency: number,
): Promise<StreamFigures> {
  const ttfbs: number[] = [];
  const gaps: number[] = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        const one = await oneStream(target);
        ttfbs.push(one.ttfbMs);
        gaps.push(...one.gapsMs);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const sortedTtfb = Float64Array.from(ttfbs).sort();
  const sortedGaps = Float64Array.from(gaps).sort();
  return {
    streams: count,
    failed,
    ttfbP50Ms: percentile(sortedTtfb, 50),
    ttfbP99Ms: percentile(sortedTtfb, 99),
    chunks: gaps.length,
    gapP50Ms: percentile(sortedGaps, 50),
    gapP99Ms: percentile(sortedGaps, 99),
  };
}

async function oneStream(target: StreamTarget): Promise<{ ttfbMs: number; gapsMs: number[] }> {
  const signal = AbortSignal.timeout(30_000);
  const started = wallClockMs();
  const response = await fetch(target.url, {
    method: "POST",
    headers: target.headers,
    body: target.body,
    client: target.client,
    signal,
  });
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel();
    throw new Error(`stream answered ${response.status}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const gapsMs: number[] = [];
  let ttfbMs: number | undefined;
  let pending = "";
  while (true) {
    const { value, done } = await reader.read();
    // Taken before any parsing, so the client's own work is not counted as delay.
    const receivedAt = wallClockMs();
    if (done) break;
    ttfbMs ??= receivedAt - started;
    // Gemini's SSE ends each event with CRLF pairs.
    pending = (pending + decoder.decode(value, { stream: true })).replaceAll("\r\n", "\n");
    // An event split across two reads is complete only at the second, and counted then.
    const end = pending.lastIndexOf("\n\n");
    if (end < 0) continue;
    for (const event of pending.slice(0, end).split("\n\n")) {
      // Of the Responses and Messages events only the text deltas are the chunks; the done
      // events repeat the whole text when it is complete.
      if (
        event.startsWith("event: ") && !event.startsWith("event: response.output_text.delta") &&
        !event.startsWith("event: content_block_delta")
      ) {
        continue;
      }
      // The fake repeats one piece's stamp for each marker in it; each chunk counts once.
      for (const sentAt of new Set(sendStamps(event))) gapsMs.push(receivedAt - sentAt);
    }
    pending = pending.slice(end + 2);
  }
  if (ttfbMs === undefined) throw new Error("empty stream");
  return { ttfbMs, gapsMs };
}

export interface OpenStreams {
  /** Streams that answered 200 and delivered their first chunk. */
  open: number;
  failed: number;
  /** Aborts every stream and waits until each has settled. */
  close(): Promise<void>;
}

/**
 * Opens `count` streams at once (at most `parallelOpens` being set up at a time, so connection
 * set-up does not time out) and returns once each has delivered its first chunk or failed; they
 * are then drained in the background until `close`.
 */
export async function openStreams(
  target: StreamTarget,
  count: number,
  parallelOpens: number,
): Promise<OpenStreams> {
  const abort = new AbortController();
  const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(120_000)]);
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  const draining: Promise<void>[] = [];
  let open = 0;
  let failed = 0;
  let next = 0;
  const opener = async () => {
    while (next < count) {
      next++;
      try {
        const response = await fetch(target.url, {
          method: "POST",
          headers: target.headers,
          body: target.body,
          client: target.client,
          signal,
        });
        if (response.status !== 200 || response.body === null) {
          await response.body?.cancel();
          throw new Error(`stream answered ${response.status}`);
        }
        const reader = response.body.getReader();
        const first = await reader.read();
        if (first.done) throw new Error("empty stream");
        open++;
        readers.push(reader);
        draining.push(
          (async () => {
            while (!(await reader.read()).done) {
              // Only kept flowing; the content does not matter here.
            }
          })().catch(() => {}),
        );
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: parallelOpens }, opener));
  return {
    open,
    failed,
    async close() {
      // Cancelling the readers closes the connections at once; an abort alone left each body
      // read waiting for its next chunk, seconds away on the slow fake.
      abort.abort();
      await Promise.all(readers.map((reader) => reader.cancel().catch(() => {})));
      await Promise.all(draining);
    },
  };
}
