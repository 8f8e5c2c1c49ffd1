// `deno task demo`: the real gateway in front of the fake GigaChat, both on loopback, so a
// newcomer can see it answer without a GigaChat key or internet. Every answer is simulated.
import { ROUTES } from "../routes/table.ts";
import { createGateway, type Gateway } from "../lib/app.ts";
import type { ConnectionServer } from "../lib/http/connection_server.ts";
import { listenGateway } from "../lib/http/listen_gateway.ts";
import { type Config, CONFIG_VARIABLES, ConfigError, loadConfig } from "../lib/config.ts";
import { loadEnvFile } from "../lib/env_file.ts";
import { installProcessGuard } from "../lib/process_guard.ts";
import { DEMO_KEY, FakeGigaChat } from "./server.ts";
import { agentCommands, shellLine } from "./demo_agents.ts";

/** Settings the demo sets itself: where GigaChat is, its key, and a keyless loopback listener. */
export const DEMO_OWNS: readonly string[] = [
  "HOST",
  "GIGACHAT_API_URL",
  "GIGACHAT_AUTH_URL",
  "GIGACHAT_CA_FILE",
  "GIGACHAT_CREDENTIALS",
  "PROXY_API_KEYS",
];

/** The environment `task start` would read, with the demo's own settings over it. */
function demoEnv(
  env: Record<string, string>,
  fake: FakeGigaChat,
  caFile: string,
): Record<string, string | undefined> {
  return {
    ...env,
    HOST: "127.0.0.1",
    // info: a newcomer sees one line per request, showing what the gateway did.
    LOG_LEVEL: env.LOG_LEVEL ?? "info",
    // The fake's api.giga.chat, like the default address: GigaChat-3 answers there too.
    GIGACHAT_API_URL: fake.newApiUrl,
    GIGACHAT_AUTH_URL: fake.authUrl,
    GIGACHAT_CA_FILE: caFile,
    // Server-side mode on loopback: clients need no key of their own.
    GIGACHAT_CREDENTIALS: DEMO_KEY,
    PROXY_API_KEYS: undefined,
  };
}

/** Which of the user's settings apply, and which the demo overrides. */
function settingsNote(honoured: readonly string[], ignored: readonly string[]): string {
  const lines = [
    `  Settings from the environment and .env in use: ${
      honoured.length > 0 ? honoured.join(", ") : "none"
    }`,
  ];
  if (ignored.length > 0) {
    lines.push(
      `  Ignored by the demo (it talks to its fake GigaChat, keyless, on 127.0.0.1): ${
        ignored.join(", ")
      }`,
    );
  }
  return lines.join("\n");
}

/** Runs the demo until Ctrl+C; every way out removes the temporary CA file first. */
async function demo(): Promise<number> {
  // A short pause between stream events makes the streaming visible in a terminal.
  // As an agent model, so Codex CLI and Claude Code run a shell tool through it offline.
  const fake = await FakeGigaChat.start({ chunkDelayMs: 120, agent: true });
  const caFile = await Deno.makeTempFile({ prefix: "fake-gigachat-ca-", suffix: ".pem" });
  let gateway: Gateway | undefined;
  try {
    await Deno.writeTextFile(caFile, fake.caPem);
    await loadEnvFile(".env");
    const env = Deno.env.toObject();
    let config: Config;
    try {
      config = loadConfig(demoEnv(env, fake, caFile));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      fail(`demo: configuration error: ${error.message}`);
      return 1;
    }
    const ignored = DEMO_OWNS.filter((name) => (env[name] ?? "").trim() !== "");
    const honoured = CONFIG_VARIABLES.filter((name) =>
      !DEMO_OWNS.includes(name) && (env[name] ?? "").trim() !== ""
    );
    gateway = await createGateway(config, ROUTES);
    installProcessGuard(gateway.log);
    let server: ConnectionServer;
    try {
      // The server main.ts runs, with its connection limits.
      server = listenGateway(
        config,
        gateway.handler,
        gateway.log,
        ({ port }) => {
          say(banner(`http://127.0.0.1:${port}`, fake.newApiUrl, config.admin.token !== undefined));
          say(settingsNote(honoured, ignored));
        },
      );
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      fail(
        `demo: cannot listen: the address is already in use (set PORT, e.g. PORT=8090 deno task demo)`,
      );
      return 1;
    }
    const stop = () => server.shutdown();
    Deno.addSignalListener("SIGINT", stop);
    try {
      Deno.addSignalListener("SIGTERM", stop);
    } catch {
      // Windows: Ctrl+C (SIGINT) is enough.
    }
    await server.finished;
    return 0;
  } finally {
    await gateway?.close();
    await fake.close();
    await Deno.remove(caFile).catch(() => {});
  }
}

function banner(origin: string, fakeUrl: string, console: boolean): string {
  const base = `${origin}/v1`;
  const agents = agentCommands(origin).map((command) =>
    [
      `    ${command.title} (npm install -g ${command.npmPackage}):`,
      ...(command.setup ? [`      ${command.setup}    # once`] : []),
      `      ${shellLine(command)}`,
    ].join("\n")
  ).join("\n");
  return `
  gigachat-gateway demo: SIMULATED answers from a fake GigaChat on ${fakeUrl}
  (no key, no internet; the gateway, its OAuth, TLS and retries are the real ones)

  Gateway: ${base}    (Ctrl+C stops it; each request logs one line below)
${
    console
      ? `  Console: ${origin}/console    (sign in with your ADMIN_TOKEN; with it set, clients need a
           key: make one on the console's Keys page and send it as the API key)
`
      : `  Console: set ADMIN_TOKEN (e.g. ADMIN_TOKEN=$(openssl rand -hex 16)) to open ${origin}/console
`
  }
  Try it from another terminal:
    curl ${base}/chat/completions -H 'Content-Type: application/json' \\
      -d '{"model":"GigaChat-2-Max","messages":[{"role":"user","content":"Привет!"}]}'
    curl -N ${base}/chat/completions -H 'Content-Type: application/json' \\
      -d '{"model":"GigaChat-2-Max","stream":true,"messages":[{"role":"user","content":"Привет!"}]}'
    curl ${base}/models
    curl ${base}/responses -H 'Content-Type: application/json' \\
      -d '{"model":"GigaChat-2-Max","input":"Привет!"}'          # the Responses API (Codex CLI)
    curl ${base}/messages -H 'Content-Type: application/json' \\
      -d '{"model":"GigaChat-2-Max","max_tokens":200,"messages":[{"role":"user","content":"Привет!"}]}'
                                                                   # Anthropic Messages (Claude Code)

  A tool call: the fake calls a tool when the request forces it (tool_choice names it, or
  "required" with one tool), with example arguments that fit the tool's schema:
    curl ${base}/chat/completions -H 'Content-Type: application/json' -d '{"model":"GigaChat-2-Max",
      "messages":[{"role":"user","content":"Weather in Moscow?"}],
      "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
        "properties":{"city":{"type":"string"}},"required":["city"]}}}],"tool_choice":"required"}'

  An agent running a tool, offline: asked to run something, the fake model calls the agent's
  shell tool once, the agent runs it on your machine, and the model answers from its output:
${agents}

  Python (pip install openai; any api_key works in the demo):
    from openai import OpenAI
    client = OpenAI(base_url="${base}", api_key="demo")
    reply = client.chat.completions.create(
        model="GigaChat-2-Max", messages=[{"role": "user", "content": "Привет!"}])
    print(reply.choices[0].message.content)

  JavaScript (npm install openai):
    import OpenAI from "openai";
    const client = new OpenAI({ baseURL: "${base}", apiKey: "demo" });
    const reply = await client.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "Привет!" }],
    });
    console.log(reply.choices[0].message.content);
`;
}

function say(text: string): void {
  // deno-lint-ignore no-console
  console.log(text);
}

function fail(line: string): void {
  // deno-lint-ignore no-console
  console.error(line);
}

if (import.meta.main) Deno.exit(await demo());
