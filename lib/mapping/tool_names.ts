// GigaChat's built-in functions (API-more.md §10; v2 tool names too, in case a model exposes
// them) answer to fixed names, so a user function with such a name must travel renamed.
const BUILT_IN = new Set([
  "web_search",
  "text2image",
  "get_file_content",
  "text2model3d",
  "code_interpreter",
  "image_generate",
  "model_3d_generate",
  "url_content_extraction",
]);

/** True for a name GigaChat keeps for one of its own functions. */
export function isBuiltInFunctionName(name: string): boolean {
  return BUILT_IN.has(name);
}

/** Client tool names ↔ the names GigaChat sees, for one request. */
export interface ToolNames {
  toUpstream(name: string): string;
  fromUpstream(name: string): string;
}

const SAME_NAMES: ToolNames = { toUpstream: (name) => name, fromUpstream: (name) => name };

/** The function names GigaChat's v2 API takes (HOSTS-AND-MODELS.md, live probes). */
export const V2_FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/**
 * Renames client tools that collide with built-ins to `user_<name>` (unique among `names`);
 * with `pattern`, also those it refuses, their other characters made `_`.
 */
export function toolNamesFor(names: readonly string[], pattern?: RegExp): ToolNames {
  // Most requests have no tools: nothing to build for them.
  if (names.length === 0) return SAME_NAMES;
  const up = new Map<string, string>();
  const down = new Map<string, string>();
  const taken = new Set(names);
  for (const name of names) {
    const allowed = pattern === undefined || pattern.test(name);
    if (!BUILT_IN.has(name) && allowed) continue;
    let renamed = allowed ? `user_${name}` : `user_${name.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
    while (taken.has(renamed)) renamed = `user_${renamed}`;
    taken.add(renamed);
    up.set(name, renamed);
    down.set(renamed, name);
  }
  return {
    toUpstream: (name) => up.get(name) ?? name,
    fromUpstream: (name) => down.get(name) ?? name,
  };
}
