/**
 * The environment a child `deno` process needs to find its cache, and nothing else: no
 * GIGACHAT_*, PORT or other setting of the caller leaks into a gateway started with it.
 */
export function denoCacheEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}
