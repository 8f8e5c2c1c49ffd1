import assert from "node:assert/strict";
import { CONFIG_VARIABLES } from "../lib/config.ts";

Deno.test("README documents every configuration variable in its table", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  for (const name of CONFIG_VARIABLES) {
    assert.match(readme, new RegExp(`^\\| \`${name}\` +\\|`, "m"), `${name} is in the table`);
  }
});
