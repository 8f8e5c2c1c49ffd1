import assert from "node:assert/strict";
import { parseEnv } from "node:util";
import { CONFIG_VARIABLES, loadConfig } from "../lib/config.ts";

const UNIT_URL = new URL("../deploy/gigachat-gateway.service", import.meta.url);
const ENV_URL = new URL("../deploy/gigachat-gateway.env.example", import.meta.url);
const BINARY = "/usr/local/bin/gigachat-gateway";

/** What the example must list: every variable the gateway reads, plus the one being added now. */
const EXPECTED_VARIABLES = [...new Set([...CONFIG_VARIABLES, "SHUTDOWN_TIMEOUT_MS"])];

interface EnvLine {
  name: string;
  value: string;
  commented: boolean;
  /** The line just above, which must explain the variable. */
  comment: string;
}

/** The `NAME=value` lines of the example, active or commented out (`# NAME=value`). */
function envLines(text: string): EnvLine[] {
  const lines = text.split("\n");
  const found: EnvLine[] = [];
  lines.forEach((line, index) => {
    const match = /^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) {
      found.push({
        name: match[2],
        value: match[3],
        commented: match[1] !== undefined,
        comment: lines[index - 1] ?? "",
      });
    }
  });
  return found;
}

/** Sections of a unit file, each a map from directive to its assignments in order. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    assert.ok(!line.endsWith("\\"), `no continuation lines, so this parser stays simple: ${line}`);
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current && eq > 0, `a directive inside a section: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...current.get(key) ?? [], line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** A systemd time span ("40s", "1min 30s", "45") in milliseconds. */
function timeSpanMs(span: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, min: 60_000, m: 60_000 };
  let total = 0;
  for (const part of span.trim().split(/\s+/)) {
    const match = /^(\d+)([a-z]*)$/.exec(part);
    assert.ok(match && (match[2] === "" || match[2] in units), `a time span: ${span}`);
    total += Number(match[1]) * (match[2] === "" ? 1000 : units[match[2]]);
  }
  return total;
}

const unit = parseUnit(await Deno.readTextFile(UNIT_URL));
const service = unit.get("Service") ?? new Map<string, string[]>();
/** The value in force: for single-valued directives systemd takes the last assignment. */
const last = (key: string, section = service) => section.get(key)?.at(-1);

Deno.test("env example lists every configuration variable and SHUTDOWN_TIMEOUT_MS", async () => {
  const lines = envLines(await Deno.readTextFile(ENV_URL));
  const names = lines.map((line) => line.name);
  assert.deepEqual(
    EXPECTED_VARIABLES.filter((name) => !names.includes(name)),
    [],
    "variables missing from the env example",
  );
  assert.deepEqual(
    names.filter((name) => !EXPECTED_VARIABLES.includes(name)),
    [],
    "the env example names variables the gateway does not read",
  );
  assert.deepEqual(names.filter((name, i) => names.indexOf(name) !== i), [], "listed twice");
  for (const line of lines) {
    assert.match(line.comment, /^# \S/, `${line.name} has a comment line just above it`);
    assert.doesNotMatch(line.comment, /^#\s?[A-Z][A-Z0-9_]*=/, `${line.name}'s comment`);
  }
});

Deno.test("env example shows each variable's real default", async () => {
  const text = await Deno.readTextFile(ENV_URL);
  const defaults = loadConfig({});
  for (const { name, value } of envLines(text)) {
    // An empty value is "unset", which is the default of the variables that have none.
    assert.deepEqual(loadConfig({ [name]: value }), defaults, `${name}=${value} is the default`);
  }
  // The file as shipped, read the way the gateway reads a .env, changes nothing.
  assert.deepEqual(loadConfig(parseEnv(text)), defaults);
  const shutdown = envLines(text).find((line) => line.name === "SHUTDOWN_TIMEOUT_MS");
  assert.equal(shutdown?.value, "30000");
  assert.equal(shutdown.commented, false, "SHUTDOWN_TIMEOUT_MS is set, next to its unit timeout");
});

Deno.test("env example holds no secret and no trailing comments", async () => {
  const lines = envLines(await Deno.readTextFile(ENV_URL));
  for (const secret of ["GIGACHAT_CREDENTIALS", "PROXY_API_KEYS"]) {
    const line = lines.find((l) => l.name === secret);
    assert.ok(line, `${secret} is listed`);
    assert.ok(line.commented && line.value === "", `${secret} is an empty, commented-out line`);
  }
  for (const { name, value } of lines) {
    // systemd keeps " # ..." as part of the value, while a .env parser drops it: avoid both.
    assert.doesNotMatch(value, /\s#/, `${name} has no comment after its value`);
  }
});

/** Directives the unit must set, with the value in force. */
const REQUIRED_DIRECTIVES: ReadonlyArray<readonly [key: string, value: string]> = [
  ["ExecStart", BINARY],
  ["EnvironmentFile", "/etc/gigachat-gateway/gigachat-gateway.env"],
  ["Restart", "always"],
  ["KillSignal", "SIGTERM"],
  ["StandardOutput", "journal"],
  ["StandardError", "journal"],
  ["DynamicUser", "yes"],
  ["NoNewPrivileges", "yes"],
  ["ProtectSystem", "strict"],
  ["ProtectHome", "yes"],
  ["PrivateTmp", "yes"],
  ["PrivateDevices", "yes"],
  ["CapabilityBoundingSet", ""],
  ["AmbientCapabilities", ""],
  ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
  ["ProtectKernelTunables", "yes"],
  ["ProtectKernelModules", "yes"],
  ["ProtectKernelLogs", "yes"],
  ["ProtectControlGroups", "yes"],
  ["ProtectClock", "yes"],
  ["ProtectHostname", "yes"],
  ["RestrictNamespaces", "yes"],
  ["RestrictRealtime", "yes"],
  ["RestrictSUIDSGID", "yes"],
  ["LockPersonality", "yes"],
  ["SystemCallArchitectures", "native"],
  ["UMask", "0077"],
];

Deno.test("unit sets the required service and hardening directives", () => {
  const wrong = REQUIRED_DIRECTIVES
    .filter(([key, value]) => last(key) !== value)
    .map(([key, value]) => `${key}=${value} (found ${JSON.stringify(service.get(key) ?? null)})`);
  assert.deepEqual(wrong, [], "directives missing or different in [Service]");
});

Deno.test("unit leaves out what would break or is not needed", () => {
  // V8's JIT needs writable and executable memory; this option kills the gateway at start-up.
  assert.equal(service.has("MemoryDenyWriteExecute"), false, "MemoryDenyWriteExecute is unset");
  assert.equal(service.has("ReadWritePaths"), false, "the gateway writes nothing");
  assert.equal(service.has("User"), false, "DynamicUser picks the user");
});

Deno.test("unit filters system calls from an allow list that a V8 runtime can live with", () => {
  const filters = service.get("SystemCallFilter") ?? [];
  assert.ok(filters.length > 0, "SystemCallFilter is set");
  // The first assignment decides the default action: an allow list denies everything else.
  assert.ok(!filters[0].startsWith("~"), `the first filter is an allow list: ${filters[0]}`);
  const allowed = filters.filter((f) => !f.startsWith("~")).flatMap((f) => f.split(/\s+/));
  const denied = filters.filter((f) => f.startsWith("~")).flatMap((f) => f.slice(1).split(/\s+/));
  for (const group of ["@system-service", "@pkey"]) assert.ok(allowed.includes(group), group);
  for (const group of ["@privileged", "@resources"]) assert.ok(denied.includes(group), group);
  assert.equal(last("SystemCallErrorNumber"), "EPERM", "a filtered call fails instead of killing");
});

Deno.test("unit restarts on failure within a start limit", () => {
  const unitSection = unit.get("Unit") ?? new Map<string, string[]>();
  assert.ok(timeSpanMs(last("RestartSec") ?? "") >= 1000, "RestartSec of a second or more");
  assert.ok(timeSpanMs(last("StartLimitIntervalSec", unitSection) ?? "") > 0);
  assert.ok(Number(last("StartLimitBurst", unitSection)) >= 1, "StartLimitBurst");
  assert.deepEqual(unit.get("Install")?.get("WantedBy"), ["multi-user.target"]);
});

Deno.test("unit stop timeout leaves room for SHUTDOWN_TIMEOUT_MS", async () => {
  const shutdownMs = Number(
    envLines(await Deno.readTextFile(ENV_URL)).find((l) => l.name === "SHUTDOWN_TIMEOUT_MS")
      ?.value,
  );
  assert.equal(shutdownMs, 30_000);
  const stopMs = timeSpanMs(last("TimeoutStopSec") ?? "");
  assert.ok(stopMs >= shutdownMs + 5_000, `TimeoutStopSec ${stopMs} ms > ${shutdownMs} ms + 5 s`);
  assert.ok(stopMs <= shutdownMs + 60_000, `TimeoutStopSec ${stopMs} ms is only a bit above`);
});

/** Full path of an executable on PATH (or the usual system folders), if there is one. */
function findExecutable(name: string): string | undefined {
  const folders = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/bin", "/bin", "/usr/sbin"];
  for (const folder of folders.filter((f) => f !== "")) {
    try {
      const info = Deno.statSync(`${folder}/${name}`);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return `${folder}/${name}`;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

const systemdAnalyze = Deno.build.os === "linux" ? findExecutable("systemd-analyze") : undefined;
const skipVerify = systemdAnalyze === undefined
  ? `systemd-analyze is not installed (${
    Deno.build.os === "linux" ? "Debian/Ubuntu: apt-get install systemd" : "not Linux"
  }), so the unit is not checked by systemd itself`
  : undefined;
if (skipVerify) {
  // deno-lint-ignore no-console
  console.log(`deploy_test: skipping "systemd-analyze verify": ${skipVerify}`);
}

/** Runs `systemd-analyze verify` on `unitText`, saved as gigachat-gateway.service in `dir`. */
async function verify(dir: string, unitText: string): Promise<{ code: number; output: string }> {
  const path = `${dir}/gigachat-gateway.service`;
  await Deno.writeTextFile(path, unitText);
  const { code, stdout, stderr } = await new Deno.Command(systemdAnalyze!, {
    args: ["verify", "--man=no", path],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test({
  name: `systemd-analyze verify accepts the unit${skipVerify ? " (skipped: not installed)" : ""}`,
  ignore: skipVerify !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gigachat-gateway-unit-" });
    try {
      // verify insists that ExecStart names an existing executable: stand one in for the binary.
      const standIn = `${dir}/gigachat-gateway`;
      await Deno.writeTextFile(standIn, "#!/bin/sh\nexit 0\n");
      await Deno.chmod(standIn, 0o755);
      const original = await Deno.readTextFile(UNIT_URL);
      const execStart = new RegExp(`^ExecStart=${BINARY}$`, "m");
      assert.match(original, execStart);
      const unitText = original.replace(execStart, `ExecStart=${standIn}`);

      const good = await verify(dir, unitText);
      assert.equal(good.code, 0, `systemd-analyze verify failed:\n${good.output}`);
      const complaints = good.output.split("\n").filter((line) =>
        line.includes("gigachat-gateway")
      );
      assert.deepEqual(complaints, [], `systemd-analyze verify warned:\n${good.output}`);

      // A control: the same check must notice a bad value, or the pass above proves nothing.
      const bad = await verify(
        dir,
        unitText.replace("ProtectSystem=strict", "ProtectSystem=sttrict"),
      );
      assert.ok(
        bad.code !== 0 || bad.output.includes("ProtectSystem") || bad.output.includes("sttrict"),
        `systemd-analyze verify did not notice ProtectSystem=sttrict:\n${bad.output}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const CONTAINER = new URL("../deploy/container/", import.meta.url);

Deno.test("container image: the compiled binary, unprivileged, health-checked on /ready", async () => {
  const text = await Deno.readTextFile(new URL("Dockerfile", CONTAINER));
  const instructions = text.split("\n").filter((line) => /^[A-Z]+ /.test(line));
  const value = (name: string) =>
    instructions.filter((line) => line.startsWith(`${name} `)).map((line) =>
      line.slice(name.length + 1)
    );
  assert.deepEqual(value("FROM"), ["gcr.io/distroless/cc-debian12:nonroot"]);
  assert.deepEqual(value("USER"), ["65532:65532"], "not root");
  assert.deepEqual(value("ENTRYPOINT"), [`["${BINARY}"]`]);
  assert.match(
    text,
    /HEALTHCHECK [^\n]*\\\n\s+CMD \["\/usr\/local\/bin\/gigachat-gateway", "--check-ready"\]/,
  );
  assert.match(text, /COPY --chmod=0555 \$\{BINARY\} \/usr\/local\/bin\/gigachat-gateway/);
  // What the image sets is what the gateway accepts.
  const env = Object.fromEntries(
    [...text.matchAll(/\b([A-Z_]+)=(\S+)/g)].filter(([, name]) => CONFIG_VARIABLES.includes(name))
      .map(([, name, v]) => [name, v]),
  );
  assert.deepEqual(Object.keys(env).sort(), ["DRAIN_DELAY_MS", "HOST", "PORT"]);
  loadConfig(env);
});

Deno.test("compose: replicas share Valkey behind HAProxy, which checks /ready", async () => {
  const { parse } = await import("yaml");
  const compose = parse(await Deno.readTextFile(new URL("compose.yaml", CONTAINER)));
  const gateway = compose.services.gateway;
  assert.ok(gateway.deploy.replicas >= 2, "several replicas");
  assert.equal(gateway.environment.REDIS_URL, "redis://valkey:6379");
  assert.ok(compose.services.valkey.image.startsWith("valkey/valkey:"));
  assert.equal(gateway.depends_on.valkey.condition, "service_healthy");
  // Each replica may finish its drain and its streams before Docker's SIGKILL.
  const grace = Number(/^(\d+)s$/.exec(gateway.stop_grace_period)?.[1]) * 1000;
  assert.ok(
    grace > Number(gateway.environment.DRAIN_DELAY_MS) +
        Number(gateway.environment.SHUTDOWN_TIMEOUT_MS),
    "stop_grace_period covers DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS",
  );
  loadConfig({ ...gateway.environment, PROXY_API_KEYS: "k", GIGACHAT_CREDENTIALS: "x" });
  const haproxy = compose.services.haproxy;
  assert.ok(haproxy.volumes.includes("./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"));

  const cfg = await Deno.readTextFile(new URL("haproxy.cfg", CONTAINER));
  assert.match(cfg, /option httpchk GET \/ready\n/);
  const slots = Number(/server-template gateway (\d+) gateway:8080 /.exec(cfg)?.[1]);
  assert.ok(slots >= gateway.deploy.replicas, "a server line for every replica");
  // Two failed checks take a replica out within the drain delay.
  const inter = Number(/inter (\d+)s/.exec(cfg)?.[1]) * 1000;
  const fall = Number(/fall (\d+)/.exec(cfg)?.[1]);
  assert.ok(inter * fall < Number(gateway.environment.DRAIN_DELAY_MS));
  // A stream may last as long as the gateway's own upstream limit.
  const serverTimeout = Number(/timeout server (\d+)s/.exec(cfg)?.[1]) * 1000;
  assert.ok(serverTimeout > loadConfig({}).requestTimeoutMs);
});

Deno.test("release workflow: builds the image from the Linux binary and smoke-tests it", async () => {
  const { parse } = await import("yaml");
  const workflow = parse(
    await Deno.readTextFile(new URL("../.github/workflows/release.yml", import.meta.url)),
  );
  const steps: { name?: string; run?: string }[] = workflow.jobs.release.steps;
  const run = (name: string) => steps.find((step) => step.name === name)?.run ?? "";
  assert.match(run("Build the container image"), /docker build -f deploy\/container\/Dockerfile/);
  assert.match(
    run("Smoke-test the container image"),
    /deploy\/smoke\.ts "\$\(realpath deploy\/container\/run\.sh\)" gigachat-gateway:test/,
  );
  const names = steps.map((step) => step.name);
  assert.ok(
    names.indexOf("Smoke-test the container image") <
      names.indexOf("Push the image to GitHub's container registry"),
    "nothing is pushed before its smoke test passed",
  );
  const wrapper = await Deno.readTextFile(new URL("run.sh", CONTAINER));
  for (const name of ["GIGACHAT_API_URL", "GIGACHAT_AUTH_URL", "REDIS_URL", "HOST", "PORT"]) {
    assert.match(wrapper, new RegExp(`-e ${name}\\b`), `run.sh passes ${name} on`);
  }
});
