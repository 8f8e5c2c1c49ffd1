const ALLOWED_HEADERS =
  "Authorization, Content-Type, X-API-Key, X-Request-ID, X-Session-ID, X-Client-ID, " +
  "OpenAI-Organization, OpenAI-Project, X-Stainless-*";

/**
 * CORS headers for `origin` under CORS_ORIGINS (`*` or a list). With none configured no origin
 * is allowed: a page in the user's browser must not spend the gateway's server-side key.
 */
export function corsHeaders(
  origin: string | null,
  allowed: readonly string[],
): Record<string, string> {
  if (origin === null || allowed.length === 0) return {};
  const expose = { "Access-Control-Expose-Headers": "X-Request-ID, Retry-After" };
  if (allowed.includes("*")) return { "Access-Control-Allow-Origin": "*", ...expose };
  if (!allowed.includes(origin)) return {};
  return { "Access-Control-Allow-Origin": origin, "Vary": "Origin", ...expose };
}

/** The answer to a preflight: 204 with the methods and headers clients use. */
export function preflightResponse(request: Request, allowed: readonly string[]): Response {
  const headers = corsHeaders(request.headers.get("origin"), allowed);
  if (headers["Access-Control-Allow-Origin"] !== undefined) {
    headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS";
    headers["Access-Control-Allow-Headers"] = request.headers.get(
      "access-control-request-headers",
    ) ?? ALLOWED_HEADERS;
    headers["Access-Control-Max-Age"] = "600";
  }
  return new Response(null, { status: 204, headers });
}
