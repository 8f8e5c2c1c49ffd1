// The console in real browsers (issue #28): Debian's headless Chromium and Firefox ESR
// (.ci/run installs both), driven by puppeteer-core from npm (installed by the test into the
// temp folder) under Node, over the DevTools protocol and WebDriver BiDi. Signs in (a wrong
// token refused), makes a key, uses it through the API, sees the request and its tokens,
// streams an answer in the playground, revokes the key and sees the API refuse it, with no
// console error and no serious accessibility finding (axe-core) on any page. Screenshots go to
// CONSOLE_SCREENSHOTS (a temp folder), one folder per browser.
import assert from "node:assert/strict";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { DEMO_KEY, startStack } from "./helpers/stack.ts";
import { installNpmPackage } from "./helpers/npm_install.ts";
import { needs } from "./helpers/system_programs.ts";

const ADMIN = "browser-admin-token-0123456789";
const ROOT = new URL("../", import.meta.url);
const PUPPETEER_VERSION = "25.16.0";
const AXE_VERSION = "4.14.1";

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

/** What console_walk.mjs saw in one browser. */
interface Walk {
  browser: string;
  consoleErrors: string[];
  steps: [string, unknown][];
  accessibility: Record<string, string[]>;
}

async function walk(
  browser: "chrome" | "firefox",
  executable: string,
  origin: string,
  screenshots: string,
): Promise<Walk> {
  const puppeteer = await installNpmPackage("puppeteer-core", PUPPETEER_VERSION);
  const axe = await installNpmPackage("axe-core", AXE_VERSION);
  const run = await new Deno.Command("node", {
    args: [new URL("browser/console_walk.mjs", import.meta.url).pathname],
    env: {
      PUPPETEER_DIR: join(puppeteer, "node_modules", "puppeteer-core"),
      AXE_PATH: join(axe, "node_modules", "axe-core", "axe.min.js"),
      BROWSER: browser,
      BROWSER_PATH: executable,
      ORIGIN: origin,
      ADMIN_TOKEN: ADMIN,
      SCREENSHOTS: screenshots,
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? tmpdir(),
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).output();
  const stderr = new TextDecoder().decode(run.stderr);
  assert.ok(run.success, `${browser}: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(run.stdout).trim().split("\n").at(-1)!);
}

async function checkWalk(seen: Walk, screenshots: string): Promise<void> {
  const all = Object.fromEntries(seen.steps);
  const text = (name: string) => String(all[name]);
  const number = (name: string) => Number(all[name]);
  const where = seen.browser;
  assert.match(text("wrong token"), /not the gateway's admin token/, where);
  assert.match(text("status credentials"), /default/, where);
  assert.equal(all["key made"], true, where);
  assert.equal(number("rpm changed"), 50, where);
  assert.equal(number("chat with the new key"), 200, where);
  assert.match(text("request row"), /GigaChat-2-Max.*200/, where);
  assert.match(text("usage legend"), /GigaChat-2-Max/, where);
  for (const dialect of ["chat", "responses", "messages", "gemini"]) {
    assert.ok(text(`playground ${dialect}`).length > 0, `${where} ${dialect}: an answer`);
    assert.ok(
      number(`playground ${dialect} partial lengths`) >= 2,
      `${where} ${dialect}: streamed in`,
    );
  }
  assert.match(text("live queue"), /Waiting now/, where);
  assert.equal(number("chat after revoking"), 401, where);
  assert.equal(all["signed in after signing out everywhere"], false, where);
  assert.equal(all["models from the keyboard"], "#/models", where);
  assert.ok(
    number("phone overflow") <= 0,
    `${where}: wider than a phone by ${number("phone overflow")}`,
  );
  assert.deepEqual(seen.consoleErrors, [], `${where}: no console errors on any page`);
  const pages = ["sign-in", "status", "keys", "requests", "usage", "playground", "live", "models"];
  assert.deepEqual(Object.keys(seen.accessibility).sort(), [...pages].sort(), where);
  for (const page of pages) {
    assert.deepEqual(seen.accessibility[page], [], `${where} ${page}: accessibility`);
  }
  for (const name of pages) {
    assert.ok((await Deno.stat(join(screenshots, `${name}.png`))).size > 1000, `${where} ${name}`);
  }
}

/**
 * A browser to drive: Debian's by default (as .ci/run installs them), or the one an environment
 * variable names (the release workflow's runner has Google Chrome and Mozilla's Firefox).
 */
function browserAt(variable: string, program: string): { executable: string; ignore: boolean } {
  // Empty is unset: `$(command -v google-chrome)` on a runner without it.
  const named = Deno.env.get(variable) || undefined;
  if (named === undefined) {
    return { executable: `/usr/bin/${program}`, ignore: needs(program, "node").ignore };
  }
  return { executable: named, ignore: needs("node").ignore };
}

for (
  const [browser, variable, program] of [
    ["chrome", "CONSOLE_CHROMIUM", "chromium"],
    ["firefox", "CONSOLE_FIREFOX", "firefox-esr"],
  ] as const
) {
  const { executable, ignore } = browserAt(variable, program);
  Deno.test({
    name: `console: sign in, make a key, use it, see it, stream, revoke, in headless ${program}`,
    ignore,
    async fn() {
      await buildConsole();
      const screenshots = join(
        Deno.env.get("CONSOLE_SCREENSHOTS") ??
          join(tmpdir(), "gigachat-gateway-console-screenshots"),
        program,
      );
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
        const seen = await walk(browser, executable, stack.origin, screenshots);
        await checkWalk(seen, screenshots);
        assert.ok(stack.logs.every((line) => !line.includes(ADMIN)), "the token is never logged");
      } finally {
        await stack.close();
      }
    },
  });
}
