// `deno task compile`: one self-contained executable per OS in dist/, named with the version
// and target, plus SHA256SUMS. The CAs, version and all code are compiled in; at run time the
// binary reads only an optional .env and GIGACHAT_CA_FILE.
//
//   deno task compile                  every target
//   deno task compile --current        this machine's target only
//   deno task compile <target>...      the named targets
import { toHex } from "../lib/hex.ts";
import { NAME, VERSION } from "../lib/version.ts";

/** The release targets: Linux x86_64/aarch64, macOS x86_64/arm64, Windows x86_64. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** The file name of the executable for `target`. */
export function artifactName(target: string): string {
  return `${NAME}-${VERSION}-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** The permissions compiled into the binary: the least that serve every configuration. */
// Write: the key store of the admin API lives under DATA_DIR, wherever the operator puts it.
export const RUNTIME_PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read", "--allow-write"];

/**
 * V8 flags for the gateway, compiled in and used by `deno task start`: V8's young generation
 * otherwise grows to tens of MB when many streams hold state at once. Capped at 8 MB, the
 * gateway held ~195 instead of ~210 MB with 1000 open streams, and ~130 instead of ~190 MB
 * after load, for about 4% more CPU per request (bench/README.md).
 */
export const V8_FLAGS = "--v8-flags=--max-semi-space-size=8";

async function compile(target: string): Promise<string> {
  const output = `dist/${artifactName(target)}`;
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      ...RUNTIME_PERMISSIONS,
      V8_FLAGS,
      "--target",
      target,
      "--output",
      output,
      // The console's bundle (deno task console:build), served from inside the binary.
      "--include",
      "console/dist",
      "main.ts",
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`deno compile for ${target} failed (exit ${code})`);
  return output;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return toHex(digest);
}

function currentTarget(): string {
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  if (Deno.build.os === "darwin") return `${arch}-apple-darwin`;
  if (Deno.build.os === "windows") return "x86_64-pc-windows-msvc";
  return `${arch}-unknown-linux-gnu`;
}

if (import.meta.main) {
  const args = Deno.args;
  const targets = args.includes("--current")
    ? [currentTarget()]
    : args.length > 0
    ? args
    : [...TARGETS];
  await Deno.mkdir("dist", { recursive: true });
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["task", "console:build"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!built.success) throw new Error("deno task console:build failed");
  const sums: string[] = [];
  for (const target of targets) {
    const output = await compile(target);
    sums.push(`${await sha256(output)}  ${output.slice("dist/".length)}`);
  }
  await Deno.writeTextFile("dist/SHA256SUMS", sums.join("\n") + "\n");
  // deno-lint-ignore no-console
  console.log(sums.join("\n"));
}
