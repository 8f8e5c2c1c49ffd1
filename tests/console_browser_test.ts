// The console in a real browser (issue #28): Debian's headless Chromium (.ci/run installs it),
// driven by playwright-core from npm (installed by the test into the temp folder) under Node.
// Signs in (a wrong token refused), makes a key, uses it through the API, sees the request and
// its tokens, streams an answer in the playground, revokes the key and sees the API refuse it,
// with no console error on any page. Screenshots go to CONSOLE_SCREENSHOTS (a temp folder).
import assert from "node:assert/strict";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { DEMO_KEY, startStack } from "./helpers/stack.ts";
import { installNpmPackage } from "./helpers/npm_install.ts";
import { needs } from "./helpers/system_programs.ts";

const ADMIN = "browser-admin-token-0123456789";
const ROOT = new URL("../", import.meta.url);

/** console/dist/, built as `deno task console:build` builds it. */
async function buildConsole(): Promise<void> {
  const built = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write=console/dist",
      "--allow-run",
      "--allow-env",
      "console/build.ts",
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(built.success, new TextDecoder().decode(built.stderr));
}

Deno.test({
  name: "console: sign in, make a key, use it, see it, stream, revoke, in headless Chromium",
  ignore: needs("chromium", "node").ignore,
  async fn() {
    await buildConsole();
    const playwright = await installNpmPackage("playwright-core", "1.65.1");
    const screenshots = Deno.env.get("CONSOLE_SCREENSHOTS") ??
      join(tmpdir(), "gigachat-gateway-console-screenshots");
    await Deno.mkdir(screenshots, { recursive: true });
    const stack = await startStack({
      env: { GIGACHAT_CREDENTIALS: DEMO_KEY, ADMIN_TOKEN: ADMIN, DATA_DIR: ":memory:" },
      fake: { chunkDelayMs: 30 },
    });
    try {
      // The page and its assets, with the headers a page holding an admin session needs.
      const page = await fetch(`${stack.origin}/console`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-security-policy")!, /script-src 'self';/);
      assert.equal(page.headers.get("x-frame-options"), "DENY");
      await page.body?.cancel();
      const walk = await new Deno.Command("node", {
        args: [new URL("browser/console_walk.mjs", import.meta.url).pathname],
        env: {
          PLAYWRIGHT_DIR: join(playwright, "node_modules", "playwright-core"),
          ORIGIN: stack.origin,
          ADMIN_TOKEN: ADMIN,
          SCREENSHOTS: screenshots,
          CHROMIUM: "/usr/bin/chromium",
          PATH: Deno.env.get("PATH") ?? "",
          HOME: Deno.env.get("HOME") ?? tmpdir(),
        },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(120_000),
      }).output();
      const stderr = new TextDecoder().decode(walk.stderr);
      assert.ok(walk.success, stderr);
      const seen = JSON.parse(new TextDecoder().decode(walk.stdout).trim().split("\n").at(-1)!);
      const steps = Object.fromEntries(seen.steps);
      assert.match(steps["wrong token"], /not the gateway's admin token/);
      assert.match(steps["status credentials"], /default/);
      assert.equal(steps["key made"], true);
      assert.equal(steps["rpm changed"], 50);
      assert.equal(steps["chat with the new key"], 200);
      assert.match(steps["request row"], /GigaChat-2-Max.*200/);
      assert.match(steps["usage legend"], /GigaChat-2-Max/);
      for (const dialect of ["chat", "responses", "messages", "gemini"]) {
        assert.ok(steps[`playground ${dialect}`].length > 0, `${dialect}: an answer`);
        assert.ok(steps[`playground ${dialect} partial lengths`] >= 2, `${dialect}: streamed in`);
      }
      assert.equal(steps["chat after revoking"], 401);
      assert.ok(steps["phone overflow"] <= 0, `wider than a phone by ${steps["phone overflow"]}`);
      assert.deepEqual(seen.consoleErrors, [], "no console errors on any page");
      for (const name of ["sign-in", "status", "keys", "requests", "usage", "playground"]) {
        assert.ok((await Deno.stat(join(screenshots, `${name}.png`))).size > 1000, name);
      }
      assert.ok(stack.logs.every((line) => !line.includes(ADMIN)), "the token is never logged");
    } finally {
      await stack.close();
    }
  },
});
