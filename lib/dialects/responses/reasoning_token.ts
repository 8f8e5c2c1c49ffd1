// `encrypted_content` of a reasoning item, for clients that keep no state (Codex sends
// `store: false` and asks for it): the reasoning text, packed so the gateway can read it back
// when the item returns in a later request's input. Not a secret: the client has the text.

const PREFIX = "gcgw1.";

/** The opaque token carrying `text`. */
export function reasoningToken(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return PREFIX + btoa(binary);
}

/** The text a token carries; undefined for a token that is not the gateway's. */
export function readReasoningToken(token: string): string | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  try {
    const binary = atob(token.slice(PREFIX.length));
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}
