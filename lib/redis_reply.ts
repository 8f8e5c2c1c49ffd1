// Redis answers as the client hands them over, whichever protocol version it speaks.

/** HGETALL's answer (a flat list in RESP2, a map in RESP3) as pairs. */
export function pairs(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      out.push([String(reply[i]), String(reply[i + 1])]);
    }
    return out;
  }
  if (reply instanceof Map) return [...reply].map(([k, v]) => [String(k), String(v)]);
  if (reply !== null && typeof reply === "object") {
    return Object.entries(reply).map(([k, v]) => [k, String(v)]);
  }
  return [];
}
