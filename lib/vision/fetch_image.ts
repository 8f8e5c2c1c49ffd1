import { type GatewayError, invalidRequest } from "../errors.ts";
import { isLoopbackHost } from "../loopback.ts";
import { readLimited } from "../io/read_limited.ts";
import { forbiddenReason } from "./address_check.ts";
import { imageTooLarge, MAX_IMAGE_BYTES } from "./image_data.ts";
import { pinnedGet } from "./pinned_get.ts";

/** Looks up a host name's addresses (A and AAAA). */
export type Resolver = (hostname: string) => Promise<string[]>;

export interface ImageFetchOptions {
  /** ALLOW_PRIVATE_IMAGE_URLS: skip the address check, for private deployments. */
  allowPrivate: boolean;
  timeoutMs: number;
  maxBytes?: number;
  resolve?: Resolver;
  fetch?: (request: Request) => Promise<Response>;
}

const MAX_REDIRECTS = 3;

/** Deno's resolver: both families; a name with neither is an empty list. */
export async function resolveWithDns(hostname: string): Promise<string[]> {
  const settled = await Promise.allSettled([
    Deno.resolveDns(hostname, "A"),
    Deno.resolveDns(hostname, "AAAA"),
  ]);
  return settled.flatMap((result) => result.status === "fulfilled" ? result.value : []);
}

/**
 * Downloads an image for a client without letting the URL reach inside: only http(s); the host
 * is resolved and refused when any address is loopback, private, link-local, CGNAT, multicast,
 * unspecified or IPv6 local/mapped; every redirect (at most 3) is checked again; the whole
 * download has a deadline and stops reading past the size limit. The connection goes to an
 * address that was checked, so a DNS answer that changes in between (rebinding) cannot get past.
 * @throws {GatewayError} 400 naming `param` for every refusal or failure.
 */
export async function fetchImage(
  url: string,
  param: string,
  options: ImageFetchOptions,
): Promise<{ bytes: Uint8Array; contentType: string | undefined }> {
  const get = (url: URL, addresses: readonly string[] | undefined) =>
    options.fetch
      ? options.fetch(new Request(url, { redirect: "manual", signal }))
      : pinnedGet(url, addresses, signal);
  const resolve = options.resolve ?? resolveWithDns;
  const maxBytes = options.maxBytes ?? MAX_IMAGE_BYTES;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let target = url;
  for (let hop = 0;; hop++) {
    const parsed = parseUrl(target, param);
    const addresses = options.allowPrivate ? undefined : await checkHost(parsed, param, resolve);
    let response: Response;
    try {
      response = await get(parsed, addresses);
    } catch (error) {
      throw failed(
        param,
        signal.aborted ? `no answer within ${options.timeoutMs} ms` : String(
          error instanceof Error ? error.message : error,
        ),
      );
    }
    if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
      await response.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw failed(param, `more than ${MAX_REDIRECTS} redirects`);
      target = new URL(response.headers.get("location")!, parsed).href;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw failed(param, `the server answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw imageTooLarge(param);
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = response.body === null
        ? new Uint8Array(0)
        : await readLimited(response.body, maxBytes);
    } catch {
      throw failed(
        param,
        signal.aborted ? `no answer within ${options.timeoutMs} ms` : "the download broke off",
      );
    }
    if (bytes === undefined) throw imageTooLarge(param);
    return { bytes, contentType: response.headers.get("content-type") ?? undefined };
  }
}

function parseUrl(text: string, param: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidRequest(`${param}: '${text.slice(0, 100)}' is not a valid URL.`, param);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw forbidden(param, `only http and https image URLs are fetched, not ${url.protocol}`);
  }
  return url;
}

/** The addresses the connection may use, all checked. */
async function checkHost(url: URL, param: string, resolve: Resolver): Promise<string[]> {
  // WHATWG URL parsing has already turned 2130706433 and 0x7f.1 into 127.0.0.1.
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isLoopbackHost(host)) throw forbidden(param, `${host} is a loopback address`);
  const literal = forbiddenReason(host);
  if (literal !== "not an IP address") {
    if (literal !== undefined) throw forbidden(param, `${host} is ${literal}`);
    return [host];
  }
  const addresses = await resolve(host).catch(() => []);
  if (addresses.length === 0) throw failed(param, `${host} does not resolve`);
  for (const address of addresses) {
    const reason = forbiddenReason(address);
    if (reason !== undefined) throw forbidden(param, `${host} resolves to ${address} (${reason})`);
  }
  return addresses;
}

function forbidden(param: string, why: string): GatewayError {
  return invalidRequest(
    `${param}: the image URL is not allowed: ${why}. Send the image as a data: URL instead ` +
      "(or, for a private deployment, set ALLOW_PRIVATE_IMAGE_URLS=true).",
    param,
    "image_url_forbidden",
  );
}

function failed(param: string, why: string): GatewayError {
  return invalidRequest(
    `${param}: the image could not be downloaded: ${why}.`,
    param,
    "image_fetch_failed",
  );
}
