// Bounds on the shape of client JSON. JSON.parse copes with any nesting, but every recursive
// walk after it (schema compilation, sanitising, serialising) overflows the stack on a value
// nested some thousands deep: that was a 500 after the request had gone upstream. Checked
// once, right after parsing, by a walk that never goes more than `maxDepth` calls deep.

/** Deeper than any real request (OpenAI itself allows 10 levels of schema nesting). */
export const MAX_JSON_DEPTH = 64;

/** The most values a response_format schema may hold; it is compiled to check each answer. */
export const MAX_SCHEMA_VALUES = 20_000;

/**
 * The path to the first value nested deeper than `maxDepth` levels (the top-level value is
 * level 0), or undefined when there is none.
 */
export function findTooDeep(value: unknown, maxDepth: number): (string | number)[] | undefined {
  // The walk goes no deeper than this, so it must be a finite number of levels.
  if (!Number.isFinite(maxDepth)) throw new RangeError("findTooDeep needs a finite depth");
  return tooDeepBelow(value, Math.max(0, Math.ceil(maxDepth)))?.reverse();
}

// Runs on every request body: it allocates nothing for a body within bounds, and builds the
// path (innermost key first) only on the way back from one that is not.
function tooDeepBelow(node: unknown, levelsLeft: number): (string | number)[] | undefined {
  if (typeof node !== "object" || node === null) return undefined;
  if (levelsLeft <= 0) return [];
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const path = tooDeepBelow(node[i], levelsLeft - 1);
      if (path !== undefined) {
        path.push(i);
        return path;
      }
    }
    return undefined;
  }
  for (const key in node) {
    if (!Object.hasOwn(node, key)) continue;
    const path = tooDeepBelow((node as Record<string, unknown>)[key], levelsLeft - 1);
    if (path !== undefined) {
      path.push(key);
      return path;
    }
  }
  return undefined;
}

/** How many values `value` holds (itself included), counting no further than `limit + 1`. */
export function countJsonNodes(value: unknown, limit: number): number {
  const stack: unknown[] = [value];
  let count = 0;
  while (stack.length > 0 && count <= limit) {
    const node = stack.pop();
    count++;
    if (typeof node !== "object" || node === null) continue;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push(child);
  }
  return count;
}

/** `["messages", 2, "tool_call_id"]` → `messages[2].tool_call_id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    out += typeof key === "number" ? `[${key}]` : `${out ? "." : ""}${String(key)}`;
  }
  return out;
}
