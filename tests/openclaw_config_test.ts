import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { capabilitiesOf } from "../lib/model_capabilities.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConfigCheckResult, ConfigCheckRow } from "./openclaw/check_configs.ts";
import { installOpenClaw, runWithOpenClaw } from "./helpers/npm_install.ts";

const EXAMPLE_FILE = new URL("../openclaw.config.example.json", import.meta.url);
const CHECKER = fileURLToPath(new URL("./openclaw/check_configs.ts", import.meta.url));
const CHECK_TIMEOUT_MS = 2 * 60_000;

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
    const child = await runWithOpenClaw(installDir, CHECKER, [
      join(installDir, "node_modules/openclaw"),
      rowsFile,
      resultFile,
    ], {
      env: {
        OPENCLAW_HOME: scratch,
        OPENCLAW_STATE_DIR: stateDir,
        OPENCLAW_CONFIG_PATH: join(stateDir, "openclaw.json"),
      },
      allow: [`--allow-write=${scratch}`],
      timeoutMs: CHECK_TIMEOUT_MS,
    });
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
      // README "Use with OpenClaw": the switch to the Responses API.
      name: 'the example with api: "openai-responses"',
      text: brokenCopy((config) => {
        (config.models.providers.gigachat as Record<string, unknown>).api = "openai-responses";
      }),
      expected: PASSES,
    },
    {
      // README "Use with OpenClaw": the Anthropic Messages API.
      name: 'the example with api: "anthropic-messages"',
      text: brokenCopy((config) => {
        const provider = config.models.providers.gigachat as Record<string, unknown>;
        provider.api = "anthropic-messages";
        provider.baseUrl = "http://127.0.0.1:8080";
      }),
      expected: PASSES,
    },
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
    "the default model is listed; images, reasoning and sizes follow the capability table",
    () => {
      const models = example.models.providers.gigachat.models;
      assert.deepEqual(models.map(({ id }) => `gigachat/${id}`), [
        "gigachat/GigaChat-2",
        "gigachat/GigaChat-2-Pro",
        "gigachat/GigaChat-2-Max",
        "gigachat/GigaChat-2-Reasoning",
        "gigachat/GigaChat-3-Ultra",
        "gigachat/GigaChat-3-Lightning",
      ]);
      assert.ok(
        models.some(({ id }) => `gigachat/${id}` === example.agents.defaults.model.primary),
      );
      // OpenClaw sends images only to models whose input lists "image"; the gateway refuses them
      // for models its capability table says cannot see, so the two must agree.
      const table = loadConfig({}).capabilities;
      for (const model of models) {
        const known = capabilitiesOf(table, model.id);
        assert.deepEqual(
          model.input,
          known?.vision === true ? ["text", "image"] : ["text"],
          model.id,
        );
        // OpenClaw sends reasoning_effort and shows thinking only for models marked reasoning.
        assert.equal(model.reasoning, known?.reasoning === true, `${model.id} reasoning`);
        assert.equal(model.contextWindow, known?.context_window, `${model.id} contextWindow`);
        assert.equal(model.maxTokens, known?.max_output_tokens, `${model.id} maxTokens`);
      }
    },
  );
});
