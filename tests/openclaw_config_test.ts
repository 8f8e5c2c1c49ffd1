import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { capabilitiesOf } from "../lib/model_capabilities.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConfigCheckResult, ConfigCheckRow } from "./openclaw/check_configs.ts";

/** The OpenClaw release whose checks the example must pass (/work/shared/clients/openclaw.md). */
const OPENCLAW_VERSION = "2026.9.6";
const EXAMPLE_FILE = new URL("../openclaw.config.example.json", import.meta.url);
const CHECKER = fileURLToPath(new URL("./openclaw/check_configs.ts", import.meta.url));
/** A cold install downloads ~95 MB and unpacks ~600 MB (about 45 s here). */
const NPM_INSTALL_TIMEOUT_MS = 5 * 60_000;
const CHECK_TIMEOUT_MS = 2 * 60_000;
const INSTALL_COMPLETE_MARKER = ".install-complete";

interface CommandResult {
  code: number;
  stderr: string;
  timedOut: boolean;
}

async function runCommand(
  command: string,
  args: string[],
  options: { timeoutMs: number; cwd?: string; env?: Record<string, string> },
): Promise<CommandResult> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  try {
    const output = await new Deno.Command(command, {
      args,
      cwd: options.cwd,
      env: options.env,
      clearEnv: options.env !== undefined,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    return {
      code: output.code,
      stderr: new TextDecoder().decode(output.stderr),
      timedOut: abort.signal.aborted,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function isCompleteInstall(dir: string): Promise<boolean> {
  try {
    const marker = await Deno.readTextFile(join(dir, INSTALL_COMPLETE_MARKER));
    const manifest = await Deno.readTextFile(join(dir, "node_modules/openclaw/package.json"));
    return marker === OPENCLAW_VERSION && JSON.parse(manifest).version === OPENCLAW_VERSION;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * `npm install openclaw@<version>` into a temporary folder, kept in the system temp dir under a
 * name with the version so later runs reuse it. The install goes to a fresh folder first and is
 * renamed into place once complete, so an interrupted run never leaves a half install behind.
 */
async function installOpenClaw(): Promise<string> {
  const cached = join(tmpdir(), `gigachat-gateway-openclaw-${OPENCLAW_VERSION}`);
  if (await isCompleteInstall(cached)) return cached;

  const staging = await Deno.makeTempDir({
    prefix: `gigachat-gateway-openclaw-${OPENCLAW_VERSION}-`,
  });
  // --ignore-scripts: OpenClaw's preinstall enforces its Node range (>=24.16) and would refuse
  // Node 20; its postinstall tidies old dist files and a native prebuild. The config code this
  // test loads needs neither.
  const npm = await runCommand(Deno.build.os === "windows" ? "npm.cmd" : "npm", [
    "install",
    "--prefix",
    staging,
    "--no-audit",
    "--no-fund",
    "--ignore-scripts",
    "--loglevel=error",
    `openclaw@${OPENCLAW_VERSION}`,
  ], { timeoutMs: NPM_INSTALL_TIMEOUT_MS });
  if (npm.code !== 0) {
    await Deno.remove(staging, { recursive: true });
    const why = npm.timedOut ? `did not finish in ${NPM_INSTALL_TIMEOUT_MS / 1000} s` : "failed";
    throw new Error(
      `npm install openclaw@${OPENCLAW_VERSION} ${why}; it needs the npm registry.\n${npm.stderr}`,
    );
  }
  await Deno.writeTextFile(join(staging, INSTALL_COMPLETE_MARKER), OPENCLAW_VERSION);
  assert.ok(await isCompleteInstall(staging), `npm installed openclaw@${OPENCLAW_VERSION}`);
  try {
    await Deno.rename(staging, cached);
    return cached;
  } catch (e) {
    // Another run got there first, or an old folder of that name is in the way.
    if (await isCompleteInstall(cached)) {
      await Deno.remove(staging, { recursive: true });
      return cached;
    }
    if (e instanceof Error) {
      throw new Error(`cannot move the OpenClaw install to ${cached}; delete that folder`, {
        cause: e,
      });
    }
    throw e;
  }
}

/**
 * Runs tests/openclaw/check_configs.ts on the rows in a Deno child whose Node compatibility
 * (Node 26 APIs) is what OpenClaw's code expects, with no network and writes only to a scratch
 * folder that is also its OpenClaw home, so a real ~/.openclaw is never read.
 */
async function checkWithOpenClaw(
  installDir: string,
  rows: ConfigCheckRow[],
): Promise<ConfigCheckResult[]> {
  const scratch = await Deno.makeTempDir({ prefix: "gigachat-gateway-openclaw-check-" });
  try {
    const stateDir = join(scratch, ".openclaw");
    await Deno.mkdir(stateDir);
    const rowsFile = join(scratch, "rows.json");
    const resultFile = join(scratch, "result.json");
    await Deno.writeTextFile(rowsFile, JSON.stringify(rows));
    const env: Record<string, string> = {
      NO_COLOR: "1",
      OPENCLAW_HOME: scratch,
      OPENCLAW_STATE_DIR: stateDir,
      OPENCLAW_CONFIG_PATH: join(stateDir, "openclaw.json"),
    };
    for (const name of ["PATH", "HOME", "DENO_DIR", "SystemRoot", "USERPROFILE"]) {
      const value = Deno.env.get(name);
      if (value !== undefined) env[name] = value;
    }
    const child = await runCommand(Deno.execPath(), [
      "run",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--node-modules-dir=manual",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      `--allow-write=${scratch}`,
      CHECKER,
      join(installDir, "node_modules/openclaw"),
      rowsFile,
      resultFile,
    ], { cwd: installDir, env, timeoutMs: CHECK_TIMEOUT_MS });
    assert.equal(
      child.code,
      0,
      `the OpenClaw checks ran (timed out: ${child.timedOut})\n${child.stderr}`,
    );
    return JSON.parse(await Deno.readTextFile(resultFile));
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

type ExampleModel = Record<string, unknown> & {
  id: string;
  input?: string[];
  compat: Record<string, unknown>;
};

/** The parts of the example the broken copies change. */
interface ExampleConfig {
  [key: string]: unknown;
  models: { providers: { gigachat: { apiKey: unknown; models: ExampleModel[] } } };
  agents: { defaults: { model: { primary: string } }; entries?: unknown };
}

type Expected = Omit<ConfigCheckResult, "name" | "parse" | "fileWarnings">;

const PASSES: Expected = { schema: [], file: [], apiKey: [] };

Deno.test("openclaw.config.example.json passes OpenClaw 2026.9.6's own checks, which reject broken copies", async (t) => {
  const exampleText = await Deno.readTextFile(EXAMPLE_FILE);
  const example: ExampleConfig = JSON.parse(exampleText);
  const brokenCopy = (change: (config: ExampleConfig) => void): string => {
    const config = structuredClone(example);
    change(config);
    return JSON.stringify(config, null, 2);
  };

  const cases: { name: string; text: string; expected: Expected }[] = [
    { name: "the example file as written", text: exampleText, expected: PASSES },
    {
      name: "a copy with the providers block at the root instead of under models",
      text: brokenCopy((config) => {
        config.providers = config.models.providers;
      }),
      expected: {
        schema: [{ path: "", message: 'Unrecognized key: "providers"' }],
        file: [{ path: "", message: 'Unrecognized key: "providers"' }],
        apiKey: [],
      },
    },
    {
      name: "a copy with a misspelt compat flag",
      text: brokenCopy((config) => {
        config.models.providers.gigachat.models[2].compat.supportsStrict = false;
      }),
      expected: {
        schema: [{
          path: "models.providers.gigachat.models.2.compat",
          message: 'Unrecognized key: "supportsStrict"',
        }],
        file: [{
          path: "models.providers.gigachat.models.2.compat",
          message: 'Unrecognized key: "supportsStrict"',
        }],
        apiKey: [],
      },
    },
    {
      name: "a copy with a model lacking name",
      text: brokenCopy((config) => {
        delete config.models.providers.gigachat.models[0].name;
      }),
      expected: {
        schema: [{
          path: "models.providers.gigachat.models.0.name",
          message: "Invalid input: expected string, received undefined",
        }],
        file: [{
          path: "models.providers.gigachat.models.0.name",
          message: "Invalid input: expected string, received undefined",
        }],
        apiKey: [],
      },
    },
    {
      // OpenClaw's schema takes any string as apiKey; only its key resolver sees the blank one
      // (issue #42890). For a loopback baseUrl it then sends its "custom-local" marker, which
      // neither of the gateway's auth modes accepts as a key.
      name: "a copy with a blank apiKey",
      text: brokenCopy((config) => {
        config.models.providers.gigachat.apiKey = "";
      }),
      expected: {
        schema: [],
        file: [],
        apiKey: [{
          path: "models.providers.gigachat.apiKey",
          message: "OpenClaw finds no usable API key",
        }],
      },
    },
    {
      // Why the example carries agents.entries.main: the root schema wants one entry. The file
      // reader adds an implicit "main" before validating, so only the schema sees this one.
      name: "a copy whose agents block has no entries",
      text: brokenCopy((config) => {
        delete config.agents.entries;
      }),
      expected: {
        schema: [{
          path: "agents.entries",
          message: "agents.entries must contain at least one configured agent",
        }],
        file: [],
        apiKey: [],
      },
    },
  ];

  const results = await checkWithOpenClaw(
    await installOpenClaw(),
    cases.map(({ name, text }) => ({ name, text })),
  );

  for (const [index, { name, expected }] of cases.entries()) {
    await t.step(name, () => {
      const { schema, file, fileWarnings, apiKey, parse } = results[index];
      assert.deepEqual(parse, [], "OpenClaw parses the file");
      assert.deepEqual({ schema, file, apiKey }, expected);
      assert.deepEqual(fileWarnings, [], "no warnings from OpenClaw's config reader");
    });
  }

  await t.step(
    "the default model is listed; exactly the gateway's vision models take images",
    () => {
      const models = example.models.providers.gigachat.models;
      assert.deepEqual(models.map(({ id }) => `gigachat/${id}`), [
        "gigachat/GigaChat-2",
        "gigachat/GigaChat-2-Pro",
        "gigachat/GigaChat-2-Max",
      ]);
      assert.ok(
        models.some(({ id }) => `gigachat/${id}` === example.agents.defaults.model.primary),
      );
      // OpenClaw sends images only to models whose input lists "image"; the gateway refuses them
      // for models its capability table says cannot see, so the two must agree.
      const table = loadConfig({}).capabilities;
      for (const model of models) {
        assert.deepEqual(
          model.input,
          capabilitiesOf(table, model.id)?.vision === true ? ["text", "image"] : ["text"],
          model.id,
        );
      }
    },
  );
});
