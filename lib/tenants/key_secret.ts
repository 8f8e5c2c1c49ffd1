import { createHash } from "node:crypto";

/** A new key's secret: `gk-` and 32 random bytes, base64url. */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return `gk-${base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}`;
}

/** SHA-256 (hex) of a secret: what the store keeps. Synchronous: it runs on every request. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** A new key's id. */
export function newKeyId(): string {
  return `key_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
}
