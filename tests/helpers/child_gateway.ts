// The real entry point as a user runs it: `deno run main.ts` in a child process.
import { FakeGigaChat, type FakeGigaChatOptions } from "../../fake_gigachat/server.ts";
import { denoCacheEnv } from "./deno_env.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const CONFIG = new URL("deno.json", ROOT).pathname;

/**
 * Starts main.ts in `cwd` with only `env` (plus what Deno needs to find its cache);
 * `openFiles` runs it under `ulimit -n` (through bash).
 */
export function spawnGateway(
  cwd: string,
  env: Record<string, string>,
  args: string[] = [],
  options: { openFiles?: number } = {},
): Deno.ChildProcess {
  const deno = Deno.execPath();
  const limited = options.openFiles !== undefined;
  return new Deno.Command(limited ? "bash" : deno, {
    args: [
      ...(limited ? ["-c", `ulimit -n ${options.openFiles} && exec "$0" "$@"`, deno] : []),
      "run",
      "--config",
      CONFIG,
      "--allow-net",
      "--allow-env",
      "--allow-read=.",
      MAIN,
      ...args,
    ],
    cwd,
    env: { ...denoCacheEnv(), ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Kills `child` if it still runs, waits for it, and lets go of its stderr. */
export async function killChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Already gone.
  }
  await child.status;
  await child.stderr.cancel().catch(() => {});
}

/** Reads lines from `stream` until one satisfies `want`; fails after `ms`. */
export async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  want: (line: string) => boolean,
  ms = 20_000,
): Promise<{ line: string; rest: ReadableStream<string> }> {
  const lines = stream.pipeThrough(new TextDecoderStream()).pipeThrough(
    splitLines(),
  );
  const reader = lines.getReader();
  const timer = setTimeout(() => reader.cancel(), ms);
  const seen: string[] = [];
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(`no matching line; output was:\n${seen.join("\n")}`);
      }
      seen.push(value);
      if (want(value)) {
        reader.releaseLock();
        return { line: value, rest: lines };
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

function splitLines(): TransformStream<string, string> {
  let buffered = "";
  return new TransformStream({
    transform(text, controller) {
      buffered += text;
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const part of parts) controller.enqueue(part);
    },
    flush(controller) {
      if (buffered) controller.enqueue(buffered);
    },
  });
}

/** The port from the gateway's "listening" log line. */
export function portOf(listeningLine: string): number {
  return Number(new URL(JSON.parse(listeningLine).url).port);
}

/**
 * A fake GigaChat and a temporary folder holding its CA as `ca.pem`, with the environment that
 * points a child gateway (started in that folder) at it; `close` removes both.
 */
export async function fakeForChildren(
  options: FakeGigaChatOptions = {},
): Promise<{
  fake: FakeGigaChat;
  dir: string;
  env: Record<string, string>;
  close(): Promise<void>;
}> {
  const dir = await Deno.makeTempDir();
  const fake = await FakeGigaChat.start(options);
  await Deno.writeTextFile(`${dir}/ca.pem`, fake.caPem);
  return {
    fake,
    dir,
    env: {
      PORT: "0",
      GIGACHAT_API_URL: fake.apiUrl,
      GIGACHAT_AUTH_URL: fake.authUrl,
      GIGACHAT_CA_FILE: "ca.pem",
    },
    async close() {
      await fake.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
