// The real entry point as a user runs it: a child `deno run main.ts`, its exit code and output.
import assert from "node:assert/strict";
import { portOf, spawnGateway as gateway, waitForLine } from "./helpers/child_gateway.ts";

Deno.test("main: a bad setting stops start-up with one line naming it and exit code 1", async (t) => {
  const rows: { env: Record<string, string>; line: RegExp }[] = [
    { env: { PORT: "eighty" }, line: /^gigachat-gateway: configuration error: PORT / },
    { env: { GIGACHAT_DEFAULT_SCOPE: "TEAM" }, line: /GIGACHAT_DEFAULT_SCOPE must be PERS/ },
    { env: { MODEL_ALIASES: "{oops" }, line: /MODEL_ALIASES must be JSON, like/ },
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
    const { line, rest } = await waitForLine(child.stdout, (text) => text.includes('"listening"'));
    const listening = JSON.parse(line);
    assert.equal(listening.auth_mode, "server-side", "GIGACHAT_CREDENTIALS came from .env");
    const port = portOf(line);
    assert.notEqual(port, 1);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0);
    await rest.cancel();
    await child.stderr.cancel();
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("main: --version, --help and an unknown flag", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    const version = await gateway(cwd, {}, ["--version"]).output();
    assert.equal(version.code, 0);
    assert.match(new TextDecoder().decode(version.stdout), /^gigachat-gateway \d+\.\d+\.\d+\n$/);
    const help = await gateway(cwd, {}, ["--help"]).output();
    assert.equal(help.code, 0);
    assert.match(new TextDecoder().decode(help.stdout), /--port <n>.*PORT/);
    const wrong = await gateway(cwd, {}, ["--prot", "1"]).output();
    assert.equal(wrong.code, 2);
    assert.match(new TextDecoder().decode(wrong.stderr), /prot.*--help/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("main: --port beats PORT, --env-file reads another file, a missing one is an error", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${cwd}/prod.env`, "GIGACHAT_CREDENTIALS=ZGVtbzpkZW1v\n");
    const child = gateway(cwd, { PORT: "1" }, ["--port", "0", "--env-file", "prod.env"]);
    const { line, rest } = await waitForLine(child.stdout, (text) => text.includes('"listening"'));
    assert.notEqual(portOf(line), 1);
    assert.equal(JSON.parse(line).auth_mode, "server-side");
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await rest.cancel();
    await child.stderr.cancel();

    const missing = await gateway(cwd, {}, ["--env-file", "nope.env"]).output();
    assert.equal(missing.code, 1);
    assert.match(
      new TextDecoder().decode(missing.stderr),
      /--env-file nope\.env does not exist or may not be read/,
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("main: --check-ready exits 0 for a ready gateway, 1 while it drains and when none listens", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    const child = gateway(cwd, { PORT: "0", DRAIN_DELAY_MS: "5000" });
    const { line, rest } = await waitForLine(child.stdout, (text) => text.includes('"listening"'));
    const port = String(portOf(line));
    const check = async (env: Record<string, string>) => {
      const { code, stderr } = await gateway(cwd, env, ["--check-ready"]).output();
      return { code, err: new TextDecoder().decode(stderr) };
    };
    assert.deepEqual(await check({ PORT: port }), { code: 0, err: "" });
    // The container listens on every address; the check still finds it on loopback.
    assert.equal((await check({ PORT: port, HOST: "0.0.0.0" })).code, 0);
    child.kill("SIGTERM");
    const draining = await check({ PORT: port });
    assert.equal(draining.code, 1);
    assert.match(draining.err, /not ready: .*\/ready: HTTP 503/);
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    const gone = await check({ PORT: port });
    assert.equal(gone.code, 1);
    assert.match(gone.err, /not ready/);
    await rest.cancel();
    await child.stderr.cancel();
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("main: a port already taken is one line naming the address, and exit code 1", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const cwd = await Deno.makeTempDir();
  try {
    const { code, stderr } = await gateway(cwd, { PORT: String(taken.addr.port) }).output();
    const err = new TextDecoder().decode(stderr).trim();
    assert.equal(code, 1);
    assert.equal(
      err,
      `gigachat-gateway: cannot listen on 127.0.0.1:${taken.addr.port}: the ` +
        "address is already in use (set PORT or HOST)",
    );
  } finally {
    taken.close();
    await Deno.remove(cwd, { recursive: true });
  }
});
