// `deno task demo`: the real gateway in front of the fake GigaChat, both on loopback, so a
// newcomer can see it answer without a GigaChat key or internet. Every answer is simulated.
import { createGateway } from "../../lib/app.ts";
import { ConfigError, loadConfig } from "../../lib/config.ts";
import { DEMO_KEY, FakeGigaChat } from "./server.ts";

// A short pause between stream events makes the streaming visible in a terminal.
const fake = await FakeGigaChat.start({ chunkDelayMs: 120 });
const caFile = await Deno.makeTempFile({ prefix: "fake-gigachat-ca-", suffix: ".pem" });
await Deno.writeTextFile(caFile, fake.caPem);

let config;
try {
  config = loadConfig({
    PORT: Deno.env.get("PORT"),
    HOST: "127.0.0.1",
    LOG_LEVEL: Deno.env.get("LOG_LEVEL") ?? "warn",
    GIGACHAT_API_URL: fake.apiUrl,
    GIGACHAT_AUTH_URL: fake.authUrl,
    GIGACHAT_CA_FILE: caFile,
    // Server-side mode on loopback: clients need no key of their own.
    GIGACHAT_CREDENTIALS: DEMO_KEY,
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  say(`demo: ${error.message}`);
  Deno.exit(1);
}
const gateway = await createGateway(config);
const server = Deno.serve({
  hostname: config.host,
  port: config.port,
  onListen: ({ port }) => {
    const base = `http://127.0.0.1:${port}/v1`;
    say(`
  gigachat-gateway demo: SIMULATED answers from a fake GigaChat on ${fake.apiUrl}
  (no key, no internet; the gateway, its OAuth, TLS and retries are the real ones)

  Gateway: ${base}    (Ctrl+C stops it)

  Try it:
    curl ${base}/chat/completions -H 'Content-Type: application/json' \\
      -d '{"model":"GigaChat-2-Max","messages":[{"role":"user","content":"Привет!"}]}'
    curl -N ${base}/chat/completions -H 'Content-Type: application/json' \\
      -d '{"model":"GigaChat-2-Max","stream":true,"messages":[{"role":"user","content":"Привет!"}]}'
    curl ${base}/models

  From the OpenAI SDK (any apiKey works in the demo):
    import OpenAI from "openai";
    const client = new OpenAI({ baseURL: "${base}", apiKey: "demo" });
    const reply = await client.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "Привет!" }],
    });
    console.log(reply.choices[0].message.content);
`);
  },
}, gateway.handler);

const stop = async () => {
  await server.shutdown();
  gateway.close();
  await fake.close();
  await Deno.remove(caFile).catch(() => {});
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
try {
  Deno.addSignalListener("SIGTERM", stop);
} catch {
  // Windows: Ctrl+C (SIGINT) is enough.
}

function say(text: string): void {
  // deno-lint-ignore no-console
  console.log(text);
}
