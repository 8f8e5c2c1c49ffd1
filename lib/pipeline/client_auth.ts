import { createHash } from "node:crypto";
import type { Config } from "../config.ts";
import { authenticationError, GatewayError } from "../errors.ts";
import { isLoopbackHost } from "../loopback.ts";
import { type Credential, makeCredential } from "../gigachat/credential.ts";
import { toHex } from "../hex.ts";
import type { Tenants } from "../tenants/tenants.ts";

/**
 * The key a client presents: `Authorization: Bearer <key>`, `x-api-key: <key>` (Anthropic's),
 * or Google's `x-goog-api-key: <key>` and `?key=<key>`. @throws {GatewayError} 401 for a
 * query key that is no header value.
 */
export function presentedKey(request: Request): string | undefined {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  for (const header of ["x-api-key", "x-goog-api-key"]) {
    const key = request.headers.get(header)?.trim();
    if (key) return key;
  }
  const query = new URL(request.url).searchParams.get("key")?.trim();
  if (!query) return undefined;
  // A header cannot carry anything else, and the key goes on in one.
  if (!/^[\x21-\x7e]+$/.test(query)) {
    throw authenticationError("The key in ?key= holds characters no key has.");
  }
  return query;
}

/**
 * Decides, per request, which GigaChat credential to use (README "Auth modes"):
 * pass-through takes the client's key as the GigaChat authorization key; server-side
 * checks the client's key against PROXY_API_KEYS and uses GIGACHAT_CREDENTIALS.
 */
export async function createAuthenticator(
  config:
    & Pick<Config, "credentials" | "proxyApiKeys" | "scope" | "corsOrigins">
    & Partial<Pick<Config, "credentialKind">>,
  tenants?: Tenants,
  /** Server-side mode's one credential as its pool holds it (its name, its connections). */
  serverCredential?: Credential,
): Promise<(request: Request) => Promise<Credential>> {
  if (config.credentials === undefined) {
    return async (request) => {
      const key = presentedKey(request);
      if (key === undefined) {
        throw authenticationError(
          "Missing API key. Send your GigaChat authorization key as 'Authorization: Bearer " +
            "<key>' or 'x-api-key: <key>' (the gateway runs in pass-through mode: " +
            "GIGACHAT_CREDENTIALS is not set).",
          "missing_api_key",
        );
      }
      return await makeCredential(key, config.scope);
    };
  }
  const server = serverCredential ?? await makeCredential(
    config.credentials,
    config.scope,
    config.credentialKind?.kind,
  );
  if (config.proxyApiKeys.length === 0 && tenants === undefined) {
    // No key guards the gateway's credentials (allowed on loopback only), so the one thing that
    // could still reach it is a web page in the user's browser: refuse foreign origins, and
    // Host names that are not loopback (DNS rebinding).
    return (request) => {
      const refusal = browserRefusal(request, config.corsOrigins);
      return refusal === undefined ? Promise.resolve(server) : Promise.reject(refusal);
    };
  }
  const matchingKey = await keyMatcher(config.proxyApiKeys);
  // One credential per proxy key, made once: the owner id of a proxy key is keyed with the
  // gateway's own key (which every instance shares), so one who can read the shared store
  // cannot test guesses of proxy keys on it.
  const ownerKey = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(config.credentials),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const perProxyKey: Credential[] = await Promise.all(config.proxyApiKeys.map(async (key) => ({
    ...server,
    owner: toHex(await crypto.subtle.sign("HMAC", ownerKey, new TextEncoder().encode(key))),
  })));
  return async (request) => {
    const key = presentedKey(request);
    if (key === undefined) {
      throw authenticationError(
        "Missing API key. Send one of the gateway's PROXY_API_KEYS (or a key made through its " +
          "admin API) as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
        "missing_api_key",
      );
    }
    const index = perProxyKey.length > 0 ? await matchingKey(key) : -1;
    if (index >= 0) return perProxyKey[index];
    const tenant = await tenants?.find(key);
    if (tenant === undefined) {
      throw authenticationError(
        tenants === undefined
          ? "Invalid API key: it is not one of the gateway's PROXY_API_KEYS."
          : "Invalid API key: it is not one of the gateway's keys (PROXY_API_KEYS or one made " +
            "through its admin API).",
      );
    }
    await tenants!.admit(tenant);
    return {
      ...server,
      owner: `tenant:${tenant.id}`,
      tenant: {
        id: tenant.id,
        name: tenant.name,
        allowedModels: tenant.allowedModels,
        limits: tenant.limits,
      },
    };
  };
}

/** Why a request looks like it comes from a web page (or a rebound host name), if it does. */
function browserRefusal(
  request: Request,
  corsOrigins: readonly string[],
): GatewayError | undefined {
  const what = foreignRequest(request, corsOrigins);
  return what === undefined ? undefined : browserRefused(what);
}

/**
 * What makes a request that reached the gateway on loopback foreign: a web page's Origin not
 * in CORS_ORIGINS, or a Host that is not a loopback name (a rebound DNS name); undefined if
 * neither.
 */
export function foreignRequest(
  request: Request,
  corsOrigins: readonly string[],
): string | undefined {
  const origin = request.headers.get("origin");
  if (origin !== null && !corsOrigins.includes(origin) && !corsOrigins.includes("*")) {
    return `requests from web pages (${origin})`;
  }
  // The server builds the URL from the Host header.
  const host = new URL(request.url).hostname;
  if (isLoopbackHost(host)) return undefined;
  return `requests for host ${host}`;
}

function browserRefused(what: string): GatewayError {
  return new GatewayError(
    403,
    `The gateway refuses ${what}: it uses its own GigaChat key without PROXY_API_KEYS. ` +
      "Set PROXY_API_KEYS (or CORS_ORIGINS for a trusted page).",
    { type: "permission_error", code: "forbidden_origin" },
  );
}

/** Which of `keys` a presented key is (-1: none), in time that does not depend on the key. */
export function keyMatcher(
  keys: readonly string[],
): Promise<(key: string) => Promise<number>> {
  const allowed = keys.map(digest);
  return Promise.resolve((key) => {
    const given = digest(key);
    // Comparing digests of equal length keeps the time spent independent of the key.
    return Promise.resolve(allowed.findIndex((candidate) => sameBytes(candidate, given)));
  });
}

/**
 * SHA-256 of a key. Node's synchronous hash: WebCrypto's digest is an asynchronous call that
 * costs every request tens of microseconds for a few bytes of input.
 */
function digest(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
