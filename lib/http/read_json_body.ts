import { GatewayError, invalidRequest } from "../errors.ts";
import { readLimited } from "./read_limited.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    413,
    `The request body is larger than the gateway accepts (${limit} bytes; see MAX_BODY_BYTES).`,
    { type: "invalid_request_error", code: "request_too_large" },
  );
}

/**
 * Reads a JSON request body of at most `limit` bytes. A declared Content-Length over the limit
 * is refused before reading; an undeclared one stops being read as soon as it passes the limit.
 * @throws {GatewayError} 413 when too large, 400 when not valid UTF-8 JSON.
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  // A declared length within the limit is read in one go (Deno's server enforces the length);
  // reading chunk by chunk allocates far more per request, and so does touching
  // `request.body`, which builds a stream (bench/README.md).
  let bytes: Uint8Array | undefined;
  if (Number.isFinite(declared)) bytes = new Uint8Array(await request.arrayBuffer());
  else if (request.body !== null) bytes = await readLimited(request.body, limit);
  else bytes = new Uint8Array();
  if (bytes === undefined || bytes.byteLength > limit) throw tooLarge(limit);
  if (bytes.byteLength === 0) throw invalidRequest("The request needs a JSON body.");
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw invalidRequest("The request body is not valid UTF-8.");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(
      `The request body is not valid JSON (${
        error instanceof Error ? error.message : "parse error"
      }).`,
    );
  }
}
