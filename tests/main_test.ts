// The real entry point as a user runs it: a child `deno run main.ts`, its exit code and output.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const CONFIG = new URL("deno.json", ROOT).pathname;

function gateway(cwd: string, env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--config", CONFIG, "--allow-net", "--allow-env", "--allow-read=.", MAIN],
    cwd,
    env: { ...inherited(), NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Only what Deno needs to find its cache; nothing else leaks into the child. */
function inherited(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Reads stdout lines until one satisfies `want`; fails after `ms`. */
async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  want: (line: string) => boolean,
  ms = 20_000,
): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => reader.cancel(), ms);
  let buffered = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`no matching line; output was:\n${buffered}`);
      buffered += value;
      const line = buffered.split("\n").find(want);
      if (line !== undefined) return line;
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}

Deno.test("main: a bad setting stops start-up with one line naming it and exit code 1", async (t) => {
  const rows: { env: Record<string, string>; line: RegExp }[] = [
    { env: { PORT: "eighty" }, line: /^gigachat-gateway: configuration error: PORT / },
    { env: { GIGACHAT_DEFAULT_SCOPE: "TEAM" }, line: /GIGACHAT_DEFAULT_SCOPE must be PERS/ },
    { env: { MODEL_ALIASES: "{oops" }, line: /MODEL_ALIASES must be a JSON object/ },
    { env: { GIGACHAT_API_URL: "http://example.com/api" }, line: /GIGACHAT_API_URL must be an/ },
    {
      env: { GIGACHAT_CREDENTIALS: "c2VjcmV0LWtleQ==", HOST: "0.0.0.0" },
      line: /PROXY_API_KEYS must be set/,
    },
    {
      env: { GIGACHAT_CA_FILE: "missing.pem" },
      line: /GIGACHAT_CA_FILE missing.pem does not exist/,
    },
  ];
  const cwd = await Deno.makeTempDir();
  try {
    for (const row of rows) {
      await t.step(Object.keys(row.env).join("+"), async () => {
        const { code, stdout, stderr } = await gateway(cwd, row.env).output();
        const err = new TextDecoder().decode(stderr).trim();
        assert.equal(code, 1);
        assert.equal(err.split("\n").length, 1, `one line, got: ${err}`);
        assert.match(err, row.line);
        assert.ok(!err.includes("c2VjcmV0LWtleQ=="), "the key is never echoed");
        assert.equal(new TextDecoder().decode(stdout), "");
      });
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("main: .env in the working directory is loaded, real variables win, SIGTERM exits 0", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${cwd}/.env`,
      "# a comment\nPORT=1\nGIGACHAT_CREDENTIALS='ZGVtbzpkZW1v'\nLOG_LEVEL=info\n",
    );
    // PORT from the environment (0: any free port) must beat PORT=1 from the file.
    const child = gateway(cwd, { PORT: "0" });
    const line = await waitForLine(child.stdout, (text) => text.includes('"listening"'));
    const listening = JSON.parse(line);
    assert.equal(listening.auth_mode, "server-side", "GIGACHAT_CREDENTIALS came from .env");
    const url = new URL(listening.url);
    assert.notEqual(url.port, "1");
    const health = await fetch(`http://127.0.0.1:${url.port}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0);
    await child.stderr.cancel();
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
