import type { Credential } from "./credential.ts";

/** An access token and when it stops working (ms since the epoch). */
export interface AccessToken {
  token: string;
  expiresAt: number;
}

/** The OAuth request of API-chat.md §1.1: Basic key, fresh RqUID, form-encoded scope. */
export function buildOAuthRequest(authUrl: string, credential: Credential): Request {
  return new Request(authUrl, {
    method: "POST",
    headers: {
      "Authorization": `Basic ${credential.key}`,
      "RqUID": crypto.randomUUID(),
      "Content-Type": "application/x-www-form-urlencoded",
      "Accept": "application/json",
    },
    body: new URLSearchParams({ scope: credential.scope }).toString(),
  });
}

/**
 * The user-and-password request of API-chat.md §1.2: `POST {api}/token` with Basic
 * `user:password` (the credential's key holds its base64) and no body.
 */
export function buildPasswordRequest(apiUrl: string, credential: Credential): Request {
  return new Request(`${apiUrl}/token`, {
    method: "POST",
    headers: { "Authorization": `Basic ${credential.key}`, "Accept": "application/json" },
  });
}

/**
 * Reads a 200 OAuth body: `{access_token, expires_at}` with expires_at in ms, or the
 * `{tok, exp}` form some installs send (§1.2; values below 10^12 are read as seconds).
 * Returns undefined when the body has neither shape.
 */
export function parseAccessToken(body: unknown): AccessToken | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const token = record.access_token ?? record.tok;
  const expires = record.expires_at ?? record.exp;
  if (typeof token !== "string" || token === "" || typeof expires !== "number") return undefined;
  if (!Number.isFinite(expires) || expires <= 0) return undefined;
  return { token, expiresAt: expires < 1e12 ? expires * 1000 : expires };
}
