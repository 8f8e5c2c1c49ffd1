// The agent CLIs the tests run (../../../shared/clients/), installed from npm into a cache folder,
// and what each needs to run headless and offline against the gateway.
import { join } from "node:path";
import { installNpmPackage } from "./npm_install.ts";

/** Codex CLI 0.169.0 (codex.md); its native binary comes in an optional dependency. */
export function installCodex(): Promise<string> {
  return installNpmPackage("@openai/codex", "0.169.0");
}

/** Claude Code 2.1.328 (claude-code.md); its native binary is put in place by its install script. */
export function installClaudeCode(): Promise<string> {
  return installNpmPackage("@anthropic-ai/claude-code", "2.1.328", [
    "node",
    "node_modules/@anthropic-ai/claude-code/install.cjs",
  ]);
}

/** Gemini CLI 0.61.0 (gemini-cli.md). */
export function installGeminiCli(): Promise<string> {
  return installNpmPackage("@google/gemini-cli", "0.61.0");
}

/** Claude Code without telemetry, updates or other calls home. */
export const CLAUDE_CODE_QUIET_ENV: Readonly<Record<string, string>> = {
  DISABLE_TELEMETRY: "1",
  DISABLE_AUTOUPDATER: "1",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
};

/** Points Codex in `home` (its CODEX_HOME) at the gateway's Responses API at `baseURL`. */
export async function writeCodexConfig(home: string, baseURL: string): Promise<void> {
  await Deno.writeTextFile(
    join(home, "config.toml"),
    [
      'model = "GigaChat-2-Max"',
      'model_provider = "gigachat"',
      "[model_providers.gigachat]",
      'name = "GigaChat"',
      `base_url = "${baseURL}"`,
      'env_key = "GIGACHAT_KEY"',
      'wire_api = "responses"',
      "",
    ].join("\n"),
  );
}
