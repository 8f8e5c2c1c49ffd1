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
  // Loaded on first use: Node's HTTP modules add ~6 MB to the gateway's RSS, and most
  // gateways never fetch an image URL.
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
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          response.on("data", (chunk: Uint8Array) => controller.enqueue(new Uint8Array(chunk)));
          response.on("end", () => controller.close());
          response.on("error", (error: Error) => controller.error(error));
        },
        cancel() {
          response.destroy();
        },
      });
      const status = response.statusCode ?? 502;
      resolve(new Response(status === 204 || status === 304 ? null : body, { status, headers }));
    });
    request.on("error", reject);
    request.end();
  });
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
