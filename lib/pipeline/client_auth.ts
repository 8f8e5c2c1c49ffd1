import type { Config } from "../config.ts";
import { authenticationError, GatewayError } from "../errors.ts";
import { isLoopbackHost } from "../loopback.ts";
import { requestAuthority } from "../http/request_url.ts";
import { type Credential, makeCredential } from "../gigachat/credential.ts";

/** The key a client presents: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedKey(request: Request): string | undefined {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const apiKey = request.headers.get("x-api-key")?.trim();
  return apiKey ? apiKey : undefined;
}

/**
 * Decides, per request, which GigaChat credential to use (README "Auth modes"):
 * pass-through takes the client's key as the GigaChat authorization key; server-side
 * checks the client's key against PROXY_API_KEYS and uses GIGACHAT_CREDENTIALS.
 */
export async function createAuthenticator(
  config: Pick<Config, "credentials" | "proxyApiKeys" | "scope" | "corsOrigins">,
): Promise<(request: Request) => Promise<Credential>> {
  if (config.credentials === undefined) {
    return async (request) => {
      const key = presentedKey(request);
      if (key === undefined) {
        throw authenticationError(
          "Missing API key. Send your GigaChat authorization key as 'Authorization: Bearer " +
            "<key>' (the gateway runs in pass-through mode: GIGACHAT_CREDENTIALS is not set).",
          "missing_api_key",
        );
      }
      return await makeCredential(key, config.scope);
    };
  }
  const server = await makeCredential(config.credentials, config.scope);
  if (config.proxyApiKeys.length === 0) {
    // No key guards the gateway's credentials (allowed on loopback only), so the one thing that
    // could still reach it is a web page in the user's browser: refuse foreign origins, and
    // Host names that are not loopback (DNS rebinding).
    const loopback = loopbackAuthorities();
    return (request) => {
      const refusal = browserRefusal(request, config.corsOrigins, loopback);
      return refusal === undefined ? Promise.resolve(server) : Promise.reject(refusal);
    };
  }
  const allowed = await Promise.all(config.proxyApiKeys.map(digest));
  return async (request) => {
    const key = presentedKey(request);
    if (key === undefined) {
      throw authenticationError(
        "Missing API key. Send one of the gateway's PROXY_API_KEYS as 'Authorization: Bearer " +
          "<key>' or 'x-api-key: <key>'.",
        "missing_api_key",
      );
    }
    const given = await digest(key);
    // Comparing digests of equal length keeps the time spent independent of the key.
    if (!allowed.some((candidate) => sameBytes(candidate, given))) {
      throw authenticationError("Invalid API key: it is not one of the gateway's PROXY_API_KEYS.");
    }
    return server;
  };
}

/** Why a request looks like it comes from a web page (or a rebound host name), if it does. */
function browserRefusal(
  request: Request,
  corsOrigins: readonly string[],
  isLoopbackAuthority: (url: string) => boolean,
): GatewayError | undefined {
  const origin = request.headers.get("origin");
  if (origin !== null && !corsOrigins.includes(origin) && !corsOrigins.includes("*")) {
    return browserRefused(`requests from web pages (${origin})`);
  }
  // Deno.serve builds the URL from the Host header.
  if (isLoopbackAuthority(request.url)) return undefined;
  return browserRefused(`requests for host ${new URL(request.url).hostname}`);
}

/**
 * Whether a request URL's authority is loopback, remembered per authority: a client sends the
 * same Host on every request, and parsing it each time was measurable under load.
 */
function loopbackAuthorities(): (url: string) => boolean {
  const known = new Map<string, boolean>();
  return (url) => {
    const authority = requestAuthority(url);
    let loopback = known.get(authority);
    if (loopback === undefined) {
      loopback = isLoopbackHost(new URL(url).hostname);
      // Any Host header can be sent, so the memory is bounded; a full one starts over.
      if (known.size >= 64) known.clear();
      known.set(authority, loopback);
    }
    return loopback;
  };
}

function browserRefused(what: string): GatewayError {
  return new GatewayError(
    403,
    `The gateway refuses ${what}: it uses its own GigaChat key without PROXY_API_KEYS. ` +
      "Set PROXY_API_KEYS (or CORS_ORIGINS for a trusted page).",
    { type: "permission_error", code: "forbidden_origin" },
  );
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
