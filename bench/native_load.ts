// The native load generator: Debian's `wrk` (C, one thread), run as its own process, so the
// load does not take CPU from the bench's JavaScript event loop as autocannon does. (Debian's
// `hey` was tried first: its Go TLS client and the fake's TLS server end every handshake with
// "illegal parameter".) A Lua script sets the request and prints wrk's own latency
// percentiles, kept in microseconds, as one JSON line.
import type { LoadOptions, LoadResult } from "./load.ts";

/** True when `wrk` runs here; tries to install it from Debian's packages first when asked. */
export async function ensureWrk(install: boolean): Promise<boolean> {
  if (await runs("wrk")) return true;
  if (!install) return false;
  const root = Deno.uid() === 0;
  const apt = (args: string[]) =>
    new Deno.Command(root ? "apt-get" : "sudo", {
      args: root ? args : ["-n", "apt-get", ...args],
      stdout: "null",
      stderr: "null",
    }).output().then((out) => out.success, () => false);
  if (!await apt(["install", "-y", "-q", "wrk"])) {
    await apt(["update", "-q"]);
    await apt(["install", "-y", "-q", "wrk"]);
  }
  return await runs("wrk");
}

async function runs(command: string): Promise<boolean> {
  try {
    // Without a URL wrk prints its usage and exits 1: it is there.
    await new Deno.Command(command, { args: ["-v"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/** The Lua script for one run: the request, and a JSON line with the figures at the end. */
export function wrkScript(options: LoadOptions): string {
  const long = (text: string) => {
    // A Lua long string whose closing bracket cannot occur in the text.
    let level = "=";
    while (text.includes(`]${level}]`)) level += "=";
    return `[${level}[${text}]${level}]`;
  };
  const lines = [`wrk.method = ${long(options.method ?? "GET")}`];
  if (options.body !== undefined) lines.push(`wrk.body = ${long(options.body)}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    // A space after the bracket: "[[" would open a long string.
    lines.push(`wrk.headers[ ${long(name)} ] = ${long(value)}`);
  }
  lines.push(
    "done = function(summary, latency, requests)",
    "  local e = summary.errors",
    '  io.write(string.format("WRK_JSON {\\"requests\\":%d,\\"duration_us\\":%d,' +
      '\\"p50_us\\":%.1f,\\"p99_us\\":%.1f,\\"mean_us\\":%.1f,\\"connect\\":%d,' +
      '\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d}\\n",',
    "    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),",
    "    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))",
    "end",
  );
  return lines.join("\n") + "\n";
}

interface WrkFigures {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  mean_us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

/** wrk's JSON line as a LoadResult: answers that were not 2xx or 3xx, and errors, failed. */
export function parseWrk(output: string, connections: number): LoadResult {
  const line = output.split("\n").find((text) => text.startsWith("WRK_JSON "));
  if (line === undefined) throw new Error(`no figures from wrk: ${output.slice(0, 500)}`);
  const f = JSON.parse(line.slice("WRK_JSON ".length)) as WrkFigures;
  // Non-2xx answers and timed-out requests are among the requests; socket errors are not.
  const failed = f.status + f.connect + f.read + f.write + f.timeout;
  const ok = Math.max(0, f.requests - f.status - f.timeout);
  const durationS = f.duration_us / 1e6;
  return {
    connections,
    ok,
    failed,
    durationS,
    rps: ok / durationS,
    p50Ms: f.p50_us / 1000,
    p99Ms: f.p99_us / 1000,
    meanMs: f.mean_us / 1000,
  };
}

/**
 * One wrk run of `options.durationS` (wrk runs for a time, not a count); `cpuMs` is wrk's own
 * CPU time (user + system), which bash's `times` reports for its children.
 */
export async function runWrk(
  options: LoadOptions,
  workDir: string,
): Promise<LoadResult & { cpuMs: number }> {
  const script = `${workDir}/wrk-${crypto.randomUUID()}.lua`;
  await Deno.writeTextFile(script, wrkScript(options));
  try {
    const args = [
      "-t",
      "1",
      "-c",
      String(options.connections),
      "-d",
      `${options.durationS ?? 10}s`,
      "--timeout",
      "30s",
      "-s",
      script,
      options.url,
    ];
    const { stdout, stderr, success } = await new Deno.Command("bash", {
      args: ["-c", 'wrk "$@" && times', "wrk", ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout);
    if (!success) {
      throw new Error(`wrk failed: ${(new TextDecoder().decode(stderr) + text).slice(0, 500)}`);
    }
    // `times`: the shell's own user and system time, then its children's ("0m1.230s 0m0.040s").
    const children = text.trimEnd().split("\n").at(-1) ?? "";
    const cpuMs = [...children.matchAll(/(\d+)m([\d.]+)s/g)]
      .reduce((sum, [, m, sec]) => sum + (Number(m) * 60 + Number(sec)) * 1000, 0);
    return { ...parseWrk(text, options.connections), cpuMs };
  } finally {
    await Deno.remove(script).catch(() => {});
  }
}
