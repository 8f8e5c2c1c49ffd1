/** First buffer when the length is not declared; it doubles as needed. */
const INITIAL_SIZE = 16 * 1024;

/**
 * Reads a byte stream whole, but no further than `limit` bytes: past it the stream is cancelled
 * and undefined returned, so an oversized body is never held in memory. `declaredLength` (a
 * Content-Length) sizes the buffer, so a body that keeps its word is read into it in place.
 *
 * A BYOB reader fills that one buffer; `Response.json()` on a fetched body allocated far more
 * per call, which showed as CPU and RSS under load (bench/README.md).
 */
export async function readLimited(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  declaredLength = Number.NaN,
): Promise<Uint8Array | undefined> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (a body built in JavaScript): read it chunk by chunk.
    return await readChunks(stream.getReader(), limit);
  }
  // One byte past the declared length, so the end is seen without growing the buffer.
  const first = Number.isSafeInteger(declaredLength) && declaredLength >= 0
    ? declaredLength + 1
    : INITIAL_SIZE;
  let buffer = new ArrayBuffer(Math.min(first, limit + 1, INITIAL_SIZE * 64));
  let size = 0;
  while (true) {
    if (size === buffer.byteLength) buffer = grown(buffer, Math.min(size * 2, limit + 1));
    const { value, done } = await reader.read(new Uint8Array(buffer, size));
    if (value !== undefined) {
      buffer = value.buffer as ArrayBuffer;
      size += value.byteLength;
    }
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    if (done) return new Uint8Array(buffer, 0, size);
  }
}

function grown(buffer: ArrayBuffer, size: number): ArrayBuffer {
  const bigger = new Uint8Array(size);
  bigger.set(new Uint8Array(buffer));
  return bigger.buffer;
}

async function readChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
