import OpenAI from "openai";
import { ROUTES } from "../../routes/table.ts";
import { createGateway } from "../../lib/app.ts";
import { loadConfig } from "../../lib/config.ts";
import { listenGateway } from "../../lib/http/listen_gateway.ts";
import { DEMO_KEY, FakeGigaChat, type FakeGigaChatOptions } from "../../fake_gigachat/server.ts";

export { DEMO_KEY };

/** A fake GigaChat and a gateway in front of it, both on 127.0.0.1, with the gateway's log. */
export interface Stack {
  fake: FakeGigaChat;
  /** `http://127.0.0.1:<port>` of the gateway. */
  origin: string;
  /** `<origin>/v1`, what OpenAI clients take as baseURL. */
  baseURL: string;
  logs: string[];
  /** Every log line parsed. */
  logRecords(): Record<string, unknown>[];
  close(): Promise<void>;
}

export interface StackOptions {
  env?: Record<string, string>;
  fake?: FakeGigaChatOptions;
  /** Point the gateway at the fake's api.giga.chat (`/v1`) instead of its old host. */
  newHost?: boolean;
  /** Another stack's fake, for a second gateway in front of the same GigaChat account. */
  sharedFake?: FakeGigaChat;
  /** Listen on this port (a gateway restarted where its clients point); a free one otherwise. */
  port?: number;
  /** Sees each request the gateway gets (a copy), before the gateway handles it. */
  onRequest?: (request: Request) => Promise<void>;
}

/**
 * The chat API the tests' gateways use: GATEWAY_TEST_BACKEND=v2 runs a test file again with
 * every chat request on GigaChat's v2 API (issue #15: both backends keep parity).
 */
export const TEST_BACKEND: "v1" | "v2" = Deno.env.get("GATEWAY_TEST_BACKEND") === "v2"
  ? "v2"
  : "v1";

/** For tests that read GigaChat's v1 wire format itself: run only on the v1 backend. */
export const onV1 = { ignore: TEST_BACKEND !== "v1" };

/** Starts the fake and the gateway in this process; `close` stops both. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const fake = options.sharedFake ?? await FakeGigaChat.start(options.fake);
  const caFile = await Deno.makeTempFile({ suffix: ".pem" });
  await Deno.writeTextFile(caFile, fake.caPem);
  const config = loadConfig({
    GIGACHAT_API_URL: options.newHost ? fake.newApiUrl : fake.apiUrl,
    GIGACHAT_AUTH_URL: fake.authUrl,
    GIGACHAT_CA_FILE: caFile,
    RETRY_BASE_DELAY_MS: "5",
    RETRY_MAX_DELAY_MS: "2000",
    LOG_LEVEL: "debug",
    GIGACHAT_BACKEND: TEST_BACKEND,
    ...options.env,
  });
  const logs: string[] = [];
  const gateway = await createGateway(config, ROUTES, {
    logSink: (line) => logs.push(line),
  });
  // The server main.ts runs, with its connection limits.
  const onRequest = options.onRequest;
  const handler: typeof gateway.handler = onRequest === undefined
    ? gateway.handler
    : async (request, info) => {
      await onRequest(request.clone());
      return await gateway.handler(request, info);
    };
  const server = listenGateway(
    { ...config, host: "127.0.0.1", port: options.port ?? 0 },
    handler,
    gateway.log,
    () => {},
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    fake,
    origin,
    baseURL: `${origin}/v1`,
    logs,
    logRecords: () => logs.map((line) => JSON.parse(line) as Record<string, unknown>),
    async close() {
      await server.shutdown();
      await gateway.close();
      if (options.sharedFake === undefined) await fake.close();
      await Deno.remove(caFile);
    },
  };
}

/** Runs `body` against a fresh stack and an openai client pointed at it, then stops both. */
export async function withStack(
  options: StackOptions,
  body: (stack: Stack, ai: OpenAI) => Promise<void>,
): Promise<void> {
  const stack = await startStack(options);
  try {
    await body(
      stack,
      new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 }),
    );
  } finally {
    await stack.close();
  }
}

/** POSTs to the gateway as a client with the demo key: objects go as JSON, the rest as given. */
export function postTo(
  stack: Stack,
  path: string,
  body: BodyInit | object,
): Promise<Response> {
  const raw = typeof body === "string" || body instanceof Uint8Array ||
    body instanceof Blob ||
    body instanceof ReadableStream || body instanceof FormData;
  return fetch(`${stack.baseURL}${path}`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${DEMO_KEY}`,
      "Content-Type": "application/json",
    },
    body: raw ? body as BodyInit : JSON.stringify(body),
  });
}
