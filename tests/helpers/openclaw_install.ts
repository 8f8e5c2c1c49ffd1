// OpenClaw from npm, installed once into the system temp folder, for tests that run its code.
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The OpenClaw release the tests run (../../../shared/clients/openclaw.md). */
export const OPENCLAW_VERSION = "2026.9.6";
/** A cold install downloads ~95 MB and unpacks ~600 MB (about 45 s here). */
const NPM_INSTALL_TIMEOUT_MS = 5 * 60_000;
const INSTALL_COMPLETE_MARKER = ".install-complete";

export interface CommandResult {
  code: number;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion, or kills it after `timeoutMs`. */
export async function runCommand(
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
export async function installOpenClaw(): Promise<string> {
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

/** Runs `script` with `args` in a Deno child that uses the OpenClaw install's node_modules. */
export async function runWithOpenClaw(
  installDir: string,
  script: string,
  args: string[],
  options: { env: Record<string, string>; allow: string[]; timeoutMs: number },
): Promise<CommandResult> {
  const env: Record<string, string> = { NO_COLOR: "1", ...options.env };
  for (const name of ["PATH", "HOME", "DENO_DIR", "SystemRoot", "USERPROFILE"]) {
    const value = Deno.env.get(name);
    if (value !== undefined && env[name] === undefined) env[name] = value;
  }
  return await runCommand(Deno.execPath(), [
    "run",
    "--quiet",
    "--no-config",
    "--no-lock",
    "--node-modules-dir=manual",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    ...options.allow,
    script,
    ...args,
  ], { cwd: installDir, env, timeoutMs: options.timeoutMs });
}
