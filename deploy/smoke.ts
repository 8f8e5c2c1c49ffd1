// `deno run -A deploy/smoke.ts <command> [args...]`: starts the gateway command against the
// fake GigaChat on loopback and checks what only the whole program shows: start-up, TLS with an
// extra CA, a chat answer, a stream, structured output (ajv, loaded on first use), an image URL
// (node:http, loaded on first use), the Redis client (loaded when REDIS_URL is set; here it
// points at a closed port), the container's health check and a clean SIGTERM. The release workflow runs it on the
// compiled binary, which cannot be built here; tests/smoke_test.ts runs it on `deno run main.ts`.
import { DEMO_KEY, FakeGigaChat } from "../fake_gigachat/server.ts";
import { denoCacheEnv } from "../tests/helpers/deno_env.ts";
import { freePort } from "../tests/helpers/free_port.ts";

/** One check's outcome, for the printed report. */
export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6]);

/** Every check, and what the gateway printed. */
export interface SmokeReport {
  checks: SmokeCheck[];
  output: string;
}

/**
 * Runs `command` (with `args`) in a fresh folder holding `ca.pem`, as a user would run the
 * gateway, and returns every check; it never throws for a failed check.
 */
export async function runSmoke(command: string, args: string[] = []): Promise<SmokeReport> {
  const checks: SmokeCheck[] = [];
  const check = async (name: string, run: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: await run() });
    } catch (error) {
      checks.push({ name, ok: false, detail: error instanceof Error ? error.message : `${error}` });
    }
  };
  const fake = await FakeGigaChat.start();
  let imageRequests = 0;
  const images = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    imageRequests++;
    return new Response(PNG, { headers: { "content-type": "image/png" } });
  });
  const dir = await Deno.makeTempDir({ prefix: "gateway-smoke-" });
  await Deno.writeTextFile(`${dir}/ca.pem`, fake.caPem);
  const port = freePort();
  const base = `http://127.0.0.1:${port}/v1`;
  const env = {
    ...denoCacheEnv(),
    GIGACHAT_API_URL: fake.apiUrl,
    GIGACHAT_AUTH_URL: fake.authUrl,
    GIGACHAT_CA_FILE: "ca.pem",
    GIGACHAT_CREDENTIALS: DEMO_KEY,
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "warn",
    ALLOW_PRIVATE_IMAGE_URLS: "true",
    REDIS_URL: `redis://127.0.0.1:${freePort()}`,
  };
  const child = new Deno.Command(command, {
    args,
    cwd: dir,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = collect(child.stdout, child.stderr);
  let exited = false;
  child.status.then(() => exited = true);
  try {
    await check(
      "starts and answers /health",
      () => waitForHealth(`http://127.0.0.1:${port}`, () => exited),
    );
    await check("chat", async () => {
      const answer = await chat(base, { messages: [{ role: "user", content: "Hello" }] });
      return `"${answer.choices[0].message.content}"`;
    });
    await check("stream", async () => {
      const response = await post(base, {
        stream: true,
        messages: [{ role: "user", content: "Hello" }],
      });
      const text = await response.text();
      if (!text.trimEnd().endsWith("data: [DONE]")) throw new Error(`no [DONE]: ${text}`);
      return `${text.split("\n\n").length - 1} events`;
    });
    await check("structured output (ajv)", async () => {
      const answer = await chat(base, {
        messages: [{ role: "user", content: "Weather in Moscow?" }],
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "weather",
            strict: true,
            schema: {
              type: "object",
              properties: { city: { type: "string" }, celsius: { type: "number" } },
              required: ["city", "celsius"],
              additionalProperties: false,
            },
          },
        },
      });
      const value = JSON.parse(answer.choices[0].message.content ?? "");
      if (typeof value?.celsius !== "number") throw new Error(`not the schema: ${value}`);
      return JSON.stringify(value);
    });
    await check("image URL (node:http)", async () => {
      const before = imageRequests;
      await chat(base, {
        model: "GigaChat-2-Max",
        messages: [{
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            {
              type: "image_url",
              image_url: { url: `http://127.0.0.1:${images.addr.port}/cat.png` },
            },
          ],
        }],
      });
      if (imageRequests !== before + 1) throw new Error("the image was not fetched");
      return "fetched and attached";
    });
    await check("shared store down (@redis/client)", async () => {
      const response = await fetch(`${base}/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "GigaChat", input: "Hi", previous_response_id: "resp_1" }),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      if (response.status !== 503 || !text.includes("shared_store_unavailable")) {
        throw new Error(`HTTP ${response.status}: ${text}`);
      }
      return "503 shared_store_unavailable";
    });
    await check("--check-ready (the container's health check)", async () => {
      const { code, stderr } = await new Deno.Command(command, {
        args: [...args, "--check-ready"],
        cwd: dir,
        clearEnv: true,
        env,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      if (code !== 0) throw new Error(`exit ${code}: ${new TextDecoder().decode(stderr)}`);
      return "exit 0";
    });
    await check("stops on SIGTERM with exit code 0", async () => {
      child.kill("SIGTERM");
      const status = await withTimeout(child.status, 15_000, "no exit 15 s after SIGTERM");
      if (status.code !== 0) throw new Error(`exit code ${status.code}`);
      return "exit 0";
    });
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    await images.shutdown();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
  return { checks, output: await output };
}

interface Completion {
  choices: { message: { content: string | null } }[];
}

async function post(base: string, body: Record<string, unknown>): Promise<Response> {
  const response = await fetch(`${base}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "GigaChat", ...body }),
    signal: AbortSignal.timeout(20_000),
  });
  if (response.status !== 200) {
    throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  }
  return response;
}

async function chat(base: string, body: Record<string, unknown>): Promise<Completion> {
  return await (await post(base, body)).json() as Completion;
}

async function waitForHealth(origin: string, exited: () => boolean): Promise<string> {
  const started = performance.now();
  while (performance.now() - started < 30_000) {
    if (exited()) throw new Error("the gateway exited without answering");
    try {
      const response = await fetch(`${origin}/health`);
      await response.body?.cancel();
      if (response.status === 200) return `${Math.round(performance.now() - started)} ms`;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("no 200 on /health within 30 s");
}

async function collect(...streams: ReadableStream<Uint8Array>[]): Promise<string> {
  const texts = await Promise.all(streams.map((s) => new Response(s).text()));
  return texts.join("").trim();
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

if (import.meta.main) {
  const [command, ...args] = Deno.args;
  if (command === undefined) {
    // deno-lint-ignore no-console
    console.error("usage: deno run -A deploy/smoke.ts <gateway command> [args...]");
    Deno.exit(2);
  }
  const { checks, output } = await runSmoke(command, args);
  const passed = checks.every((check) => check.ok);
  for (const { name, ok, detail } of checks) {
    // deno-lint-ignore no-console
    console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  }
  // deno-lint-ignore no-console
  if (!passed) console.log(`\nwhat the gateway printed:\n${output}`);
  Deno.exit(passed ? 0 : 1);
}
