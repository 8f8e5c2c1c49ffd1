import type { Config } from "../config.ts";
import { authenticationError, GatewayError } from "../errors.ts";
import { isLoopbackHost } from "../loopback.ts";
import { foreignRequest, keyMatcher, presentedKey } from "./client_auth.ts";

/**
 * Who may read `/metrics`: nobody who may not call the API. With METRICS_TOKEN, whoever
 * presents it; with ADMIN_TOKEN, whoever presents it or a proxy key; in server-side mode with
 * PROXY_API_KEYS, whoever presents one of them;
 * otherwise (pass-through, where any key is let through to GigaChat) loopback clients only.
 * @returns a check that throws a 401 or 403 GatewayError.
 */
export async function createMetricsGuard(
  config:
    & Pick<Config, "credentials" | "proxyApiKeys" | "metricsToken" | "corsOrigins">
    & Partial<Pick<Config, "admin">>,
): Promise<(request: Request, clientAddress: string | undefined) => Promise<void>> {
  // With the admin API on, its token reads them too; a key made through it never does (the
  // metrics name every tenant).
  const keys = config.metricsToken !== undefined
    ? [config.metricsToken]
    : config.admin?.token !== undefined
    ? [config.admin.token, ...config.proxyApiKeys]
    : config.credentials !== undefined
    ? config.proxyApiKeys
    : [];
  if (keys.length === 0) {
    return (request, address) => {
      const refusal = address === undefined || !isLoopbackHost(address)
        ? "clients that are not on loopback"
        : relayed(request) ?? foreignRequest(request, config.corsOrigins);
      if (refusal === undefined) return Promise.resolve();
      return Promise.reject(
        new GatewayError(
          403,
          `Metrics are served to local clients only, not to ${refusal}; set METRICS_TOKEN to ` +
            "read them from elsewhere (behind a reverse proxy, a token is the safe choice).",
          { type: "permission_error", code: "metrics_forbidden" },
        ),
      );
    };
  }
  const matches = await keyMatcher(keys);
  const what = config.metricsToken !== undefined
    ? "METRICS_TOKEN"
    : config.admin?.token !== undefined
    ? "the ADMIN_TOKEN (or one of the PROXY_API_KEYS)"
    : "one of the PROXY_API_KEYS";
  return async (request) => {
    const key = presentedKey(request);
    if (key === undefined || await matches(key) < 0) {
      throw authenticationError(
        `Metrics need ${what} as 'Authorization: Bearer <key>'.`,
        key === undefined ? "missing_api_key" : "invalid_api_key",
      );
    }
  };
}

/** A request a proxy on this host relayed is not a local client's, whatever its address. */
function relayed(request: Request): string | undefined {
  for (const name of ["forwarded", "x-forwarded-for", "x-real-ip", "via"]) {
    if (request.headers.has(name)) return `requests relayed by a proxy (${name})`;
  }
  return undefined;
}
