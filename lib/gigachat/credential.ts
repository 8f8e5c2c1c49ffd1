import type { Scope } from "../config.ts";
import { toHex } from "../hex.ts";

/**
 * How a credential gets its access token (API-chat.md §1): an OAuth exchange of an authorization
 * key (`oauth`), a user and password at `{api}/token` (`password`, `key` holding base64 of
 * `user:password`), none at all, `key` being a ready access token (`token`), or no token, the
 * client certificate of `httpClient` being enough (`certificate`, mutual TLS).
 */
export type CredentialKind = "oauth" | "password" | "token" | "certificate";

/** A GigaChat authorization key with its scope; `id` names it in caches without revealing it. */
export interface Credential {
  readonly key: string;
  readonly scope: Scope;
  /** `oauth` when absent. */
  readonly kind?: CredentialKind;
  /** SHA-256 (hex) of scope and key. */
  readonly id: string;
  /** The GIGACHAT_POOL member it is, by name (logs and metrics). */
  readonly member?: string;
  /** Its own connections to GigaChat (a member's client certificate); the gateway's otherwise. */
  readonly httpClient?: Deno.HttpClient;
  /**
   * Who sent the request, when that is not the holder of `key`: in server-side mode an
   * HMAC-SHA-256 (hex) of the client's proxy key, keyed with GIGACHAT_CREDENTIALS. What a client keeps in the gateway (stored
   * responses) is scoped to it, so one proxy key cannot read another's.
   */
  readonly owner?: string;
  /** The tenant (a key made through the admin API) sending it, with the models it may use. */
  readonly tenant?: {
    readonly id: string;
    readonly name: string;
    readonly allowedModels?: readonly string[];
    /** Its limits as they were when the request came (lib/tenants' TenantLimits). */
    readonly limits: {
      readonly rpm?: number;
      readonly tpm?: number;
      readonly concurrent?: number;
      readonly weight?: number;
      readonly dailyTokens?: number;
      readonly monthlyTokens?: number;
      readonly monthlyBudget?: number;
    };
  };
}

/** Builds a {@linkcode Credential}, hashing the key so no map ever holds it as a key. */
export async function makeCredential(
  key: string,
  scope: Scope,
  kind: CredentialKind = "oauth",
  member?: string,
): Promise<Credential> {
  // An OAuth key's id is as it always was (stores keyed by it survive an upgrade); certificates
  // have no key, so their member's name tells them apart.
  const named = kind === "oauth"
    ? `${scope}\n${key}`
    : `${kind}\n${scope}\n${kind === "certificate" ? member ?? "" : key}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(named));
  return kind === "oauth"
    ? { key, scope, id: toHex(digest) }
    : { key, scope, kind, id: toHex(digest) };
}
