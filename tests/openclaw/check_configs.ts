/**
 * Checks OpenClaw config files with OpenClaw's own code, loaded from an npm install of the
 * `openclaw` package. Run by ../openclaw_config_test.ts as
 * `deno run --node-modules-dir=manual ... check_configs.ts <package dir> <rows.json> <result.json>`
 * with the install folder as working folder and `OPENCLAW_CONFIG_PATH` set to a scratch file.
 *
 * OpenClaw's CLI refuses to start here (it wants Node 24.16+/26.1+ and `node:sqlite`), so this
 * calls the functions behind it: the root zod schema (`OpenClawSchema`, src/config/zod-schema.ts),
 * the config file reader that `openclaw config validate` uses, and the resolver that decides
 * whether a custom provider has an API key.
 */
import { pathToFileURL } from "node:url";

/** One config file to check. */
export interface ConfigCheckRow {
  name: string;
  /** The file's text, as OpenClaw would read it from `~/.openclaw/openclaw.json`. */
  text: string;
}

/** A problem one check found, at a dotted config path (`""` is the root). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** What each check said about one row; an empty list means the check passed. */
export interface ConfigCheckResult {
  name: string;
  /** OpenClaw's JSON5 parse of the text. */
  parse: ConfigIssue[];
  /** `OpenClawSchema.safeParse` of the parsed file. */
  schema: ConfigIssue[];
  /** `readConfigFileSnapshotWithPluginMetadata({ prepareValidation: "strict" })`, as the CLI. */
  file: ConfigIssue[];
  /** Warnings from that reader (a valid file may still have some). */
  fileWarnings: ConfigIssue[];
  /** `resolveUsableCustomProviderApiKey` for each provider, with an empty environment. */
  apiKey: ConfigIssue[];
}

type Module = Record<string, unknown>;
type Fn = (...args: unknown[]) => unknown;

interface SafeParseSchema {
  safeParse(value: unknown): {
    success: boolean;
    error?: { issues: { path: PropertyKey[]; message: string }[] };
  };
}

interface ConfigSnapshot {
  valid: boolean;
  issues?: ConfigIssue[];
  warnings?: ConfigIssue[];
}

function requireFunction(module: Module, name: string, where: string): Fn {
  const value = module[name];
  if (typeof value !== "function") {
    throw new Error(`${where} has no function ${name}: OpenClaw's package layout changed`);
  }
  return value as Fn;
}

/**
 * Imports the export called `exportName` from the one bundled chunk in `dir` (names like
 * `zod-schema-B-u3AXjg.mjs`) whose closing `export { ... }` clause lists it.
 */
async function importChunkExport(dir: string, chunk: RegExp, exportName: string): Promise<unknown> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !chunk.test(entry.name)) continue;
    const file = `${dir}/${entry.name}`;
    const clause = (await Deno.readTextFile(file)).match(/\nexport \{([^}]*)\};?\s*$/)?.[1];
    const binding = clause?.split(",").map((part) => part.trim().split(/\s+as\s+/))
      .find(([local]) => local === exportName);
    if (binding) {
      const module: Module = await import(pathToFileURL(file).href);
      return module[binding[1] ?? binding[0]];
    }
  }
  throw new Error(`no ${chunk} chunk in ${dir} exports ${exportName}: OpenClaw's build changed`);
}

function providerIds(config: unknown): string[] {
  if (typeof config !== "object" || config === null) return [];
  const models = (config as { models?: { providers?: unknown } }).models;
  const providers = models?.providers;
  return typeof providers === "object" && providers !== null ? Object.keys(providers) : [];
}

/** Loads the checks from `<packageDir>/dist` and returns a function that runs them on a row. */
export async function loadOpenClawChecks(
  packageDir: string,
  configPath: string,
): Promise<(row: ConfigCheckRow) => Promise<ConfigCheckResult>> {
  const dist = `${packageDir}/dist`;
  const configModule: Module = await import(pathToFileURL(`${dist}/config/config.js`).href);
  const parseConfigJson5 = requireFunction(configModule, "parseConfigJson5", "config/config.js");
  const clearConfigCache = requireFunction(configModule, "clearConfigCache", "config/config.js");
  const readSnapshot = requireFunction(
    configModule,
    "readConfigFileSnapshotWithPluginMetadata",
    "config/config.js",
  );
  const schema = await importChunkExport(dist, /^zod-schema-[\w-]+\.mjs$/, "OpenClawSchema");
  if (typeof (schema as SafeParseSchema | undefined)?.safeParse !== "function") {
    throw new Error("OpenClawSchema has no safeParse: OpenClaw's build changed");
  }
  const resolveKey = await importChunkExport(
    dist,
    /^loader-runtime-load-[\w-]+\.mjs$/,
    "resolveUsableCustomProviderApiKey",
  );
  if (typeof resolveKey !== "function") {
    throw new Error("resolveUsableCustomProviderApiKey missing");
  }

  return async ({ name, text }) => {
    const result: ConfigCheckResult = {
      name,
      parse: [],
      schema: [],
      file: [],
      fileWarnings: [],
      apiKey: [],
    };
    const parsed = parseConfigJson5(text) as { ok: boolean; parsed?: unknown; error?: string };
    if (!parsed.ok) {
      result.parse.push({ path: "", message: parsed.error ?? "not JSON5" });
      return result;
    }

    const verdict = (schema as SafeParseSchema).safeParse(parsed.parsed);
    for (const issue of verdict.error?.issues ?? []) {
      result.schema.push({ path: issue.path.map(String).join("."), message: issue.message });
    }

    for (const provider of providerIds(parsed.parsed)) {
      const key = resolveKey({ cfg: parsed.parsed, provider, env: {} }) as
        | { source?: string }
        | null;
      const path = `models.providers.${provider}.apiKey`;
      if (!key) {
        result.apiKey.push({ path, message: "OpenClaw finds no usable API key" });
      } else if (key.source !== "models.json") {
        result.apiKey.push({ path, message: `OpenClaw reads it as ${key.source}, not as a key` });
      }
    }

    await Deno.writeTextFile(configPath, text);
    clearConfigCache();
    const { snapshot } = await readSnapshot({ observe: false, prepareValidation: "strict" }) as {
      snapshot: ConfigSnapshot;
    };
    result.file = (snapshot.issues ?? []).map(({ path, message }) => ({ path, message }));
    result.fileWarnings = (snapshot.warnings ?? []).map(({ path, message }) => ({ path, message }));
    if (!snapshot.valid && result.file.length === 0) {
      result.file.push({ path: "", message: "invalid, without issues" });
    }
    return result;
  };
}

if (import.meta.main) {
  const [packageDir, rowsFile, resultFile] = Deno.args;
  const configPath = Deno.env.get("OPENCLAW_CONFIG_PATH");
  if (!packageDir || !rowsFile || !resultFile || !configPath) {
    throw new Error(
      "usage: OPENCLAW_CONFIG_PATH=<scratch file> check_configs.ts <package dir> <rows> <result>",
    );
  }
  const rows: ConfigCheckRow[] = JSON.parse(await Deno.readTextFile(rowsFile));
  const check = await loadOpenClawChecks(packageDir, configPath);
  const results: ConfigCheckResult[] = [];
  for (const row of rows) results.push(await check(row));
  await Deno.writeTextFile(resultFile, JSON.stringify(results));
}
