// The processes a bench run starts: the fake upstream and gateways, each `deno run` of its own,
// so the gateway's RSS is its own (/proc/<pid>/status) and its start-up can be timed from spawn.
import { V8_FLAGS } from "../deploy/compile.ts";
import { DEMO_KEY } from "../fake_gigachat/server.ts";
import { denoCacheEnv } from "../tests/helpers/deno_env.ts";
import { freePort } from "../tests/helpers/free_port.ts";
import type { FakeStats, FakeUpstreamInfo, FakeUrls } from "./stamp.ts";

const ROOT = new URL("../", import.meta.url);
const CONFIG = new URL("deno.json", ROOT).pathname;
const MAIN = new URL("main.ts", ROOT).pathname;
const FAKE = new URL("bench/fake_upstream.ts", ROOT).pathname;
/** bench/baseline_proxy.ts: Deno's own HTTP cost, for comparison with the gateway. */
export const BASELINE_PROXY: string = new URL("bench/baseline_proxy.ts", ROOT).pathname;

/** Keeps the last `limit` characters a child wrote, for the error message when it fails. */
class Tail {
  text = "";
  constructor(readonly limit = 8_000) {}
  drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    return stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write: (chunk) => {
          this.text = (this.text + chunk).slice(-this.limit);
        },
      }),
    ).catch(() => {});
  }
}

export interface FakeUpstream {
  readonly info: FakeUpstreamInfo;
  readonly pid: number;
  stats(): Promise<FakeStats>;
  close(): Promise<void>;
}

/** Starts bench/fake_upstream.ts and waits for its JSON line. */
export async function startFakeUpstream(
  fastChunkDelayMs: number,
  slowChunkDelayMs: number,
): Promise<FakeUpstream> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      CONFIG,
      "--allow-net=127.0.0.1",
      FAKE,
      String(fastChunkDelayMs),
      String(slowChunkDelayMs),
    ],
    env: denoCacheEnv(),
    clearEnv: true,
    // Held open by this process: the fake exits when it closes, even if this process is killed.
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Tail();
  const draining = stderr.drain(child.stderr);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const timer = setTimeout(() => reader.cancel(), 30_000);
  try {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the fake upstream did not start:\n${stderr.text}`);
      buffered += value;
    }
  } finally {
    clearTimeout(timer);
  }
  const info = JSON.parse(buffered.slice(0, buffered.indexOf("\n"))) as FakeUpstreamInfo;
  // Anything else it prints is read and dropped, so its pipe never fills up.
  const rest = (async () => {
    try {
      while (!(await reader.read()).done) {
        // Dropped.
      }
    } catch {
      // Closed.
    }
  })();
  return {
    info,
    pid: child.pid,
    async stats() {
      const response = await fetch(`${info.controlUrl}/stats`);
      return await response.json() as FakeStats;
    },
    async close() {
      await child.stdin.close().catch(() => {});
      const exited = await Promise.race([child.status, delay(5_000).then(() => undefined)]);
      if (exited === undefined) child.kill("SIGKILL");
      await Promise.allSettled([child.status, draining, rest]);
    },
  };
}

export interface GatewayProcess {
  readonly pid: number;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** From spawn to the first 200 on /health, in ms. */
  readonly coldStartMs: number;
  /** VmRSS of the gateway process, in MiB. */
  rssMb(): Promise<number>;
  /** SIGTERM (graceful: a CPU profile, if asked for, is written then); SIGKILL after 10 s. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  upstream: FakeUrls;
  /** Directory the gateway runs in, holding `ca.pem` (it may read only its working folder). */
  cwd: string;
  /** Extra `deno run` flags, e.g. `--cpu-prof`. */
  denoFlags?: string[];
  /** The program to run instead of main.ts (the baseline proxy, another checkout's). */
  main?: string;
  /** Its deno.json, when not this checkout's. */
  config?: string;
  env?: Record<string, string>;
}

/**
 * Spawns `deno run main.ts` as `deno task start` does (net, env, read of its folder), in
 * server-side mode with the fake's demo key, and waits for /health to answer 200.
 */
export async function startGateway(options: GatewayOptions): Promise<GatewayProcess> {
  // LOG_LEVEL=warn prints no "listening" line to read a port from, so the port is chosen here.
  const port = freePort();
  const origin = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      options.config ?? CONFIG,
      ...(options.denoFlags ?? []),
      // The gateway runs with the flags `deno task start` and the binaries use.
      ...(options.main === undefined ? [V8_FLAGS] : []),
      "--allow-net",
      "--allow-env",
      "--allow-read=.",
      options.main ?? MAIN,
    ],
    cwd: options.cwd,
    env: {
      ...denoCacheEnv(),
      GIGACHAT_API_URL: options.upstream.apiUrl,
      GIGACHAT_AUTH_URL: options.upstream.authUrl,
      GIGACHAT_CA_FILE: "ca.pem",
      GIGACHAT_CREDENTIALS: DEMO_KEY,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      ...options.env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = new Tail();
  const draining = Promise.all([output.drain(child.stdout), output.drain(child.stderr)]);
  let exited = false;
  child.status.then(() => exited = true);
  const close = async () => {
    if (!exited) child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (!exited) child.kill("SIGKILL");
    }, 10_000);
    await child.status;
    clearTimeout(timer);
    await draining;
  };
  // Polled every 2 ms: a refused connection costs next to nothing, and the figure is ~100s of ms.
  const deadline = started + 30_000;
  while (true) {
    if (exited || performance.now() > deadline) {
      await close();
      throw new Error(`the gateway did not start:\n${output.text}`);
    }
    try {
      const response = await fetch(`${origin}/health`);
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    await delay(2);
  }
  const coldStartMs = performance.now() - started;
  return {
    pid: child.pid,
    origin,
    coldStartMs,
    rssMb: () => rssMb(child.pid),
    close,
  };
}

/** VmRSS of `pid` from /proc, in MiB. */
export async function rssMb(pid: number): Promise<number> {
  // Deno lets only --allow-all read /proc directly; `cat` needs just the --allow-run the bench
  // has anyway, so its --allow-net can stay limited to 127.0.0.1.
  const { stdout } = await new Deno.Command("cat", { args: [`/proc/${pid}/status`] }).output();
  const status = new TextDecoder().decode(stdout);
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

/** CPU time (user + system, all threads) `pid` has used so far, in ms; 10 ms resolution. */
export async function cpuMs(pid: number): Promise<number> {
  const { stdout } = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = new TextDecoder().decode(stdout).split(") ")[1].split(" ");
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
