import type { IncomingMessage } from "node:http";
import type { LookupFunction } from "node:net";
import { NAME, VERSION } from "../version.ts";

/**
 * GET `url` over a connection to one of `addresses` (already checked), never resolving the
 * name again: the check and the connection see the same address, so a DNS answer that changes
 * in between (rebinding) cannot slip a private address in. TLS still verifies the certificate
 * for the URL's host name. Without `addresses` the name is resolved as usual.
 */
export async function pinnedGet(
  url: URL,
  addresses: readonly string[] | undefined,
  signal: AbortSignal,
): Promise<Response> {
  // Loaded on first use: Node's HTTP modules add megabytes to the gateway's RSS
  // (bench/README.md), and most gateways never fetch an image URL.
  const client = url.protocol === "https:"
    ? (await import("node:https")).default
    : (await import("node:http")).default;
  const family = (address: string) => (address.includes(":") ? 6 : 4);
  return await new Promise((resolve, reject) => {
    const request = client.request(url, {
      method: "GET",
      signal,
      headers: { "user-agent": `${NAME}/${VERSION}`, "accept": "image/*" },
      ...(addresses === undefined ? {} : { lookup: pinnedLookup(addresses, family) }),
    }, (response) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (typeof value === "string") headers.set(name, value);
        else if (Array.isArray(value)) headers.set(name, value.join(", "));
      }
      const status = response.statusCode ?? 502;
      const body = status === 204 || status === 304 ? null : webBody(response);
      if (body === null) response.destroy();
      resolve(new Response(body, { status, headers }));
    });
    // Errors after the response arrived (a reset mid-body, the deadline) reach the body
    // through `response`; this listener only has to exist so none of them goes unhandled.
    request.on("error", reject);
    request.end();
  });
}

/**
 * A Node response as a web byte stream. Node keeps emitting `data`, `end` and `error` after
 * the reader cancelled, and a controller that is closed throws on `enqueue`: from an event
 * callback that ended the process. So every event is ignored once the stream is settled, the
 * socket is paused while the reader is behind, and a connection that closes before `end`
 * errors the stream instead of leaving its reader waiting.
 */
function webBody(response: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        controller.error(error);
      };
      response.on("data", (chunk: Uint8Array) => {
        if (settled) return;
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 0) <= 0) response.pause();
      });
      response.on("end", () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      response.on("error", fail);
      response.on("close", () => fail(new Error("the connection closed before the body ended")));
    },
    pull() {
      response.resume();
    },
    cancel() {
      settled = true;
      response.destroy();
    },
  }, { highWaterMark: 1 });
}

/** A `lookup` that answers with the checked addresses instead of asking DNS again. */
function pinnedLookup(
  addresses: readonly string[],
  family: (address: string) => number,
): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
    options?.all
      ? callback(null, addresses.map((address) => ({ address, family: family(address) })))
      : callback(null, addresses[0], family(addresses[0]))) as unknown as LookupFunction;
}
