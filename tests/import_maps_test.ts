// Two import maps: deno.json's holds only what the gateway and the demo import, so `task start`
// and `task demo` download nothing else; tests/deno.json adds the test and bench dependencies
// (issue #24: the first start used to fetch 135 packages).
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import gateway from "../deno.json" with { type: "json" };
import dev from "./deno.json" with { type: "json" };

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SHIPPED = ["main.ts", "lib", "routes", "fake_gigachat", "deploy"];

async function* sources(path: string): AsyncGenerator<string> {
  const info = await Deno.stat(join(ROOT, path));
  if (info.isFile) {
    if (path.endsWith(".ts")) yield await Deno.readTextFile(join(ROOT, path));
    return;
  }
  for await (const entry of Deno.readDir(join(ROOT, path))) {
    yield* sources(join(path, entry.name));
  }
}

/** The bare specifiers a module imports, statically or dynamically (not node: built-ins). */
function bareImports(source: string): string[] {
  // Statements start a line (a snippet inside a string is indented); dynamic imports anywhere.
  const statics = source.matchAll(
    /^(?:(?:import|export)[^;]*?from |import )"([^"]+)"/gm,
  );
  const dynamics = source.matchAll(/import\(\s*"([^"]+)"/g);
  return [...statics, ...dynamics].map((match) => match[1])
    .filter((name) => !name.startsWith("node:") && !name.startsWith("."));
}

Deno.test("deno.json maps exactly what the gateway and the demo import", async () => {
  const used = new Set<string>();
  for (const path of SHIPPED) {
    for await (const source of sources(path)) {
      for (const name of bareImports(source)) {
        used.add(name);
      }
    }
  }
  assert.deepEqual([...used].sort(), Object.keys(gateway.imports).sort());
});

Deno.test("tests/deno.json maps the gateway's packages to the same versions", () => {
  const devImports: Record<string, string> = dev.imports;
  for (const [name, target] of Object.entries(gateway.imports)) {
    assert.equal(devImports[name], target, name);
  }
  assert.deepEqual(dev.unstable, gateway.unstable);
  assert.deepEqual(dev.compilerOptions, gateway.compilerOptions);
  // `deno fmt tests/x.ts` may pick tests/deno.json: it must format as `task check` checks.
  assert.equal(dev.fmt.lineWidth, gateway.fmt.lineWidth);
  assert.deepEqual(dev.lint, gateway.lint);
});
