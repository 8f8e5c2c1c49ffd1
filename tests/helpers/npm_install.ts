// Client programs from npm (OpenClaw, Codex CLI), installed once into the system temp folder,
// for the tests that run their code against the gateway.
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

async function isCompleteInstall(
  dir: string,
  name: string,
  version: string,
): Promise<boolean> {
  try {
    const marker = await Deno.readTextFile(join(dir, INSTALL_COMPLETE_MARKER));
    const manifest = await Deno.readTextFile(
      join(dir, "node_modules", name, "package.json"),
    );
    return marker === version && JSON.parse(manifest).version === version;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * `npm install <name>@<version>` into a folder of the system temp dir named after both, so
 * later runs reuse it. The install goes to a fresh folder first and is renamed into place once
 * complete, so an interrupted run never leaves a half install behind. Scripts are not run:
 * OpenClaw's preinstall refuses Node 20, and no package here needs one (Codex's native binary
 * comes in an optional dependency).
 */
export async function installNpmPackage(
  name: string,
  version: string,
  /** A package's own install step, run in the folder by hand (scripts are not run by npm). */
  postInstall?: string[],
): Promise<string> {
  const slug = name.replace(/[@/]/g, "-").replace(/^-/, "");
  const cached = join(tmpdir(), `gigachat-gateway-${slug}-${version}`);
  if (await isCompleteInstall(cached, name, version)) return cached;
  const staging = await Deno.makeTempDir({
    prefix: `gigachat-gateway-${slug}-${version}-`,
  });
  const npm = await runCommand(
    Deno.build.os === "windows" ? "npm.cmd" : "npm",
    [
      "install",
      "--prefix",
      staging,
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--loglevel=error",
      `${name}@${version}`,
    ],
    { timeoutMs: NPM_INSTALL_TIMEOUT_MS },
  );
  if (npm.code !== 0) {
    await Deno.remove(staging, { recursive: true });
    const why = npm.timedOut ? `did not finish in ${NPM_INSTALL_TIMEOUT_MS / 1000} s` : "failed";
    throw new Error(
      `npm install ${name}@${version} ${why}; it needs the npm registry.\n${npm.stderr}`,
    );
  }
  if (postInstall !== undefined) {
    const [command, ...args] = postInstall;
    const step = await runCommand(command, args, {
      cwd: staging,
      timeoutMs: 60_000,
    });
    if (step.code !== 0) {
      await Deno.remove(staging, { recursive: true });
      throw new Error(
        `${postInstall.join(" ")} failed in ${name}@${version}:\n${step.stderr}`,
      );
    }
  }
  await Deno.writeTextFile(join(staging, INSTALL_COMPLETE_MARKER), version);
  assert.ok(
    await isCompleteInstall(staging, name, version),
    `npm installed ${name}@${version}`,
  );
  try {
    await Deno.rename(staging, cached);
    return cached;
  } catch (e) {
    // Another run got there first, or an old folder of that name is in the way.
    if (await isCompleteInstall(cached, name, version)) {
      await Deno.remove(staging, { recursive: true });
      return cached;
    }
    if (e instanceof Error) {
      throw new Error(
        `cannot move the ${name} install to ${cached}; delete that folder`,
        {
          cause: e,
        },
      );
    }
    throw e;
  }
}

/** OpenClaw's npm install (see installNpmPackage). */
export function installOpenClaw(): Promise<string> {
  return installNpmPackage("openclaw", OPENCLAW_VERSION);
}

/** Runs `script` with `args` in a Deno child that uses the OpenClaw install's node_modules. */
export async function runWithOpenClaw(
  installDir: string,
  script: string,
  args: string[],
  options: { env: Record<string, string>; allow: string[]; timeoutMs: number },
): Promise<CommandResult> {
  const env: Record<string, string> = { NO_COLOR: "1", ...options.env };
  for (
    const name of ["PATH", "HOME", "DENO_DIR", "SystemRoot", "USERPROFILE"]
  ) {
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
