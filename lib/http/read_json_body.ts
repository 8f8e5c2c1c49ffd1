import type { Deadlines } from "../deadlines.ts";
import { clientClosed, GatewayError, invalidRequest } from "../errors.ts";
import { findTooDeep, formatPath, MAX_JSON_DEPTH } from "./json_limits.ts";
import { readLimited } from "../io/read_limited.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    413,
    `The request body is larger than the gateway accepts (${limit} bytes; see MAX_BODY_BYTES).`,
    { type: "invalid_request_error", code: "request_too_large" },
  );
}

/** 408 for a body that did not arrive within REQUEST_BODY_TIMEOUT_MS. */
export function bodyTimedOut(ms: number): GatewayError {
  return new GatewayError(
    408,
    `The request body did not arrive within ${ms} ms (REQUEST_BODY_TIMEOUT_MS); send it again.`,
    { type: "invalid_request_error", code: "request_timeout", headers: { Connection: "close" } },
  );
}

/**
 * Reads a JSON request body of at most `limit` bytes. A declared Content-Length over the limit
 * is refused before reading; an undeclared one stops being read as soon as it passes the limit.
 * With `deadlines`, a body that has not fully arrived when its deadline falls is a 408, so a
 * client that sends a byte now and then cannot hold the request forever. A body that breaks
 * off is a client that went away (499), not a gateway failure.
 * @throws {GatewayError} 413 when too large, 408 when too slow, 499 when the client left,
 * 400 when not valid UTF-8 JSON.
 */
export async function readJsonBody(
  request: Request,
  limit: number,
  deadlines?: Deadlines,
): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  const reading = readBytes(request, declared, limit);
  let bytes: Uint8Array | undefined;
  if (deadlines === undefined) {
    bytes = await reading;
  } else {
    let expire: () => void = () => {};
    const expired = new Promise<never>((_, reject) => {
      expire = () => reject(bodyTimedOut(deadlines.spanMs));
    });
    const cancel = deadlines.add(() => expire());
    // After a 408 the read may still end (or fail) later: nobody waits for it then.
    reading.catch(() => {});
    try {
      bytes = await Promise.race([reading, expired]);
    } finally {
      cancel();
    }
  }
  if (bytes === undefined || bytes.byteLength > limit) throw tooLarge(limit);
  if (bytes.byteLength === 0) throw invalidRequest("The request needs a JSON body.");
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw invalidRequest("The request body is not valid UTF-8.");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(
      `The request body is not valid JSON (${
        error instanceof Error ? error.message : "parse error"
      }).`,
    );
  }
  const tooDeep = findTooDeep(value, MAX_JSON_DEPTH);
  if (tooDeep !== undefined) {
    const param = formatPath(fieldOf(tooDeep));
    throw invalidRequest(
      `The request body is nested more than ${MAX_JSON_DEPTH} levels deep (in '${param}'); ` +
        "flatten it.",
      param,
      "json_too_deep",
    );
  }
  return value;
}

/** The field the client wrote (a schema, a message's content), not the path deep inside it. */
function fieldOf(path: readonly (string | number)[]): readonly (string | number)[] {
  const schemaAt = path.findIndex((key) => key === "schema" || key === "parameters");
  return path.slice(0, schemaAt >= 0 && schemaAt < 4 ? schemaAt + 1 : 4);
}

async function readBytes(
  request: Request,
  declared: number,
  limit: number,
): Promise<Uint8Array | undefined> {
  try {
    // A declared length within the limit is read in one go (Deno's server enforces the
    // length); reading chunk by chunk allocates far more per request, and so does touching
    // `request.body`, which builds a stream (bench/README.md).
    if (Number.isFinite(declared)) return new Uint8Array(await request.arrayBuffer());
    if (request.body !== null) return await readLimited(request.body, limit);
    return new Uint8Array();
  } catch (error) {
    throw error instanceof GatewayError ? error : clientClosed(error);
  }
}
