// The house's layers (README "Layout"): dialects on top, one pipeline in the middle, the
// GigaChat backend below, shared pieces at the bottom. No module may import one above it.
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Layer of a module, by path: a lower number is higher up. */
const LAYERS: [RegExp, number, string][] = [
  [/^main\.ts$/, 0, "entry point"],
  [/^routes\//, 1, "routes (one per dialect endpoint)"],
  [/^lib\/(app|request_handler|request_log)\.ts$/, 2, "wiring"],
  [/^lib\/dialects\//, 2, "dialects"],
  [/^lib\/(pipeline\/|context\.ts$)/, 3, "chat pipeline"],
  [/^lib\/(vision|models|tenants)\//, 4, "attachments, models and tenants"],
  [/^lib\/mapping\//, 5, "GigaChat v1 translation"],
  [/^lib\/gigachat\//, 6, "GigaChat client"],
  [/^lib\/(openai|http)\//, 7, "OpenAI wire types, HTTP helpers"],
  [/^lib\/(io\/)?[a-z_]+\.ts$/, 8, "shared"],
  [/^deno\.json$/, 8, "shared"],
];

function layerOf(path: string): [number, string] {
  for (const [pattern, rank, name] of LAYERS) if (pattern.test(path)) return [rank, name];
  throw new Error(`${path} is in no layer: add it to LAYERS and the README's layout`);
}

async function* modules(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* modules(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("no module imports one in a layer above it", async () => {
  const upward: string[] = [];
  let checked = 0;
  for (const root of ["lib", "routes"]) {
    for await (const path of modules(root)) {
      checked++;
      const [rank] = layerOf(path);
      const text = await Deno.readTextFile(join(ROOT, path));
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
        const target = relative(ROOT, join(ROOT, dirname(path), match[1]));
        const [targetRank, targetName] = layerOf(target);
        if (targetRank < rank) upward.push(`${path} -> ${target} (${targetName})`);
      }
    }
  }
  assert.ok(checked > 50, `checked ${checked} modules`);
  assert.deepEqual(upward, []);
});
