// `deno compile` cannot run here (it downloads its runtime), so this checks what it relies on:
// main.ts bundles into one file that starts and answers /health with only net and env
// permissions, i.e. nothing besides the optional .env and CA file is read at run time.
import assert from "node:assert/strict";
import { waitForLine } from "./helpers/child_gateway.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("main.ts bundles into one file that serves /health with net+env permissions only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "deno", "--output", `${dir}/gateway.js`, "main.ts"],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(bundled.code, 0, new TextDecoder().decode(bundled.stderr));

    const child = new Deno.Command(Deno.execPath(), {
      // --no-config: the bundle must not need deno.json, the import map or node_modules.
      args: [
        "run",
        "--no-config",
        "--unstable-no-legacy-abort",
        "--allow-net=127.0.0.1",
        "--allow-env",
        `${dir}/gateway.js`,
      ],
      cwd: dir,
      env: { PORT: "0", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      const { line, rest } = await waitForLine(
        child.stdout,
        (text) => text.includes('"listening"'),
      );
      const port = new URL(JSON.parse(line).url).port;
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      assert.equal((await health.json()).status, "ok");
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
      await rest.cancel();
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited already.
      }
      await child.stderr.cancel().catch(() => {});
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the compile task targets the five release platforms with the runtime permissions", async () => {
  const { TARGETS, artifactName, RUNTIME_PERMISSIONS } = await import("../deploy/compile.ts");
  assert.deepEqual([...TARGETS].sort(), [
    "aarch64-apple-darwin",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu",
  ]);
  assert.match(
    artifactName("x86_64-pc-windows-msvc"),
    /^gigachat-gateway-\d+\.\d+\.\d+-x86_64-pc-windows-msvc\.exe$/,
  );
  assert.deepEqual(RUNTIME_PERMISSIONS, [
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--allow-write",
  ]);
});

Deno.test("deno task start and dev run with the V8 flags the binaries are compiled with", async () => {
  const { V8_FLAGS } = await import("../deploy/compile.ts");
  const { tasks } = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  for (const name of ["start", "dev"]) {
    const { command, dependencies } = tasks[name];
    assert.ok(command.split(" ").includes(V8_FLAGS), `${name}: ${command}`);
    // From source too, the console is there once the gateway has started.
    assert.deepEqual(dependencies, ["console:ensure"], name);
  }
});
