// OpenTelemetry (issue #16): with OTEL_DENO=true Deno exports its own spans for Deno.serve and
// fetch; the gateway's attributes ride on the request's server span. A local OTLP/HTTP
// receiver on loopback takes the export (http/json) and the test reads one request's span.
import assert from "node:assert/strict";
import { DEMO_KEY, FakeGigaChat } from "../fake_gigachat/server.ts";
import { killChild, portOf, spawnGateway, waitForLine } from "./helpers/child_gateway.ts";

interface ExportedSpan {
  name: string;
  kind: number;
  traceId: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

function attributesOf(span: ExportedSpan): Record<string, unknown> {
  return Object.fromEntries(span.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
}

Deno.test("OTEL_DENO=true: a chat request's server span carries the gateway's attributes, never the key or content", async () => {
  const spans: ExportedSpan[] = [];
  const bodies: string[] = [];
  const receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const body = await req.text();
      bodies.push(body);
      if (new URL(req.url).pathname === "/v1/traces") {
        for (const resource of JSON.parse(body).resourceSpans ?? []) {
          for (const scope of resource.scopeSpans ?? []) spans.push(...scope.spans);
        }
      }
      return Response.json({});
    },
  );
  const fake = await FakeGigaChat.start();
  const cwd = await Deno.makeTempDir();
  await Deno.writeTextFile(`${cwd}/ca.pem`, fake.caPem);
  const child = spawnGateway(cwd, {
    PORT: "0",
    GIGACHAT_API_URL: fake.apiUrl,
    GIGACHAT_AUTH_URL: fake.authUrl,
    GIGACHAT_CA_FILE: "ca.pem",
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_SERVICE_NAME: "gigachat-gateway-test",
  });
  try {
    const { line, rest } = await waitForLine(child.stdout, (text) => text.includes('"listening"'));
    rest.pipeTo(new WritableStream()).catch(() => {});
    const port = portOf(line);
    const secret = "a very private question";
    const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${DEMO_KEY}`,
        "X-Request-ID": "trace-me-1",
      },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: secret }],
      }),
    });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    // With tracing on, a key in the URL is refused (Deno puts the URL on the span first), in
    // Google's shape; the header works.
    const gemini = `http://127.0.0.1:${port}/v1beta/models/GigaChat-2-Max:generateContent`;
    const body = JSON.stringify({ contents: [{ parts: [{ text: secret }] }] });
    const inUrl = await fetch(`${gemini}?key=not-the-demo-key`, { method: "POST", body });
    assert.equal(inUrl.status, 400);
    assert.match((await inUrl.json()).error.message, /x-goog-api-key/);
    const google = await fetch(gemini, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "x-goog-api-key": DEMO_KEY,
        "X-Request-ID": "trace-me-2",
      },
      body,
    });
    assert.equal(google.status, 200);
    await google.body?.cancel();
    // Spans go out in batches, and at the latest when the process ends.
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    const deadline = Date.now() + 10_000;
    let server: ExportedSpan | undefined;
    while (server === undefined && Date.now() < deadline) {
      server = spans.find((span) => attributesOf(span)["gateway.request_id"] === "trace-me-1");
      if (server === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(server, `no span with the request id among ${spans.length}`);
    const attributes = attributesOf(server);
    assert.equal(server.kind, 2, "a server span");
    assert.equal(attributes["gateway.route"], "/chat/completions");
    assert.equal(attributes["gateway.dialect"], "chat_completions");
    assert.equal(attributes["gateway.model"], "GigaChat-2-Max");
    assert.equal(attributes["gateway.backend"], "v1");
    assert.equal(Number(attributes["gateway.upstream_attempts"]), 2, "OAuth and chat");
    assert.equal(Number(attributes["gen_ai.usage.input_tokens"]), 17);
    assert.equal(Number(attributes["gen_ai.usage.output_tokens"]), 3);
    // The upstream fetches are spans of the same trace.
    const clients = spans.filter((span) => span.traceId === server!.traceId && span.kind === 3);
    assert.ok(clients.length >= 1, "the upstream call is traced in the same trace");
    const geminiSpan = spans.find((span) =>
      attributesOf(span)["gateway.request_id"] === "trace-me-2"
    );
    assert.equal(attributesOf(geminiSpan!)["gateway.dialect"], "gemini");
    const everything = bodies.join("\n");
    assert.ok(!everything.includes(DEMO_KEY), "no key in any export");
    assert.ok(!everything.includes(secret), "no message content in any export");
  } finally {
    await killChild(child);
    await Deno.remove(cwd, { recursive: true });
    await fake.close();
    await receiver.shutdown();
  }
});
