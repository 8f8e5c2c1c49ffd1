export type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** A route: `path` is relative to `/v1`, `:name` segments become params. */
export interface Route<Handler> {
  method: Method;
  path: string;
  handler: Handler;
}

export type RouteMatch<Handler> =
  | { kind: "found"; handler: Handler; params: Record<string, string>; route: string }
  | { kind: "method_not_allowed"; allow: readonly Method[]; route: string }
  | { kind: "not_found" };

/**
 * Matches requests to routes: a Map for the static paths, URLPattern for the few with params.
 * Every path answers with and without the `/v1` prefix, since OpenAI clients are configured
 * both ways.
 */
export class Router<Handler> {
  readonly #static = new Map<string, Map<Method, Handler>>();
  readonly #patterns: { pattern: URLPattern; handlers: Map<Method, Handler> }[] = [];

  constructor(routes: readonly Route<Handler>[]) {
    for (const route of routes) {
      if (route.path.includes(":")) {
        let entry = this.#patterns.find((p) => p.pattern.pathname === route.path);
        if (entry === undefined) {
          entry = { pattern: new URLPattern({ pathname: route.path }), handlers: new Map() };
          this.#patterns.push(entry);
        }
        entry.handlers.set(route.method, route.handler);
      } else {
        const handlers = this.#static.get(route.path) ?? new Map<Method, Handler>();
        handlers.set(route.method, route.handler);
        this.#static.set(route.path, handlers);
      }
    }
  }

  /** Finds the handler for `method` and `pathname`, or says why there is none. */
  match(method: string, pathname: string): RouteMatch<Handler> {
    const path = normalizePath(pathname);
    let handlers = this.#static.get(path);
    let params: Record<string, string> = {};
    let route = path;
    if (handlers === undefined) {
      for (const entry of this.#patterns) {
        const result = entry.pattern.exec({ pathname: path });
        if (result !== null) {
          handlers = entry.handlers;
          params = decodeParams(result.pathname.groups);
          route = entry.pattern.pathname;
          break;
        }
      }
    }
    if (handlers === undefined) return { kind: "not_found" };
    const handler = handlers.get((method === "HEAD" ? "GET" : method) as Method);
    if (handler === undefined) {
      return { kind: "method_not_allowed", allow: [...handlers.keys()], route };
    }
    return { kind: "found", handler, params, route };
  }
}

/**
 * `/v1/models/` → `/models`; `/v1` → `/`. A doubled `/v1/v1` counts once: Claude Code with an
 * ANTHROPIC_BASE_URL ending in `/v1` asks for `/v1/v1/messages`.
 */
export function normalizePath(pathname: string): string {
  let path = pathname.replace(/\/{2,}/g, "/");
  for (let i = 0; i < 2 && (path === "/v1" || path.startsWith("/v1/")); i++) {
    path = path.slice(3) || "/";
  }
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return path;
}

function decodeParams(groups: Record<string, string | undefined>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(groups)) {
    if (value === undefined) continue;
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      params[name] = value;
    }
  }
  return params;
}
