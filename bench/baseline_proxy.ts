// The least a Deno proxy in front of GigaChat can do: Deno.serve in, one fetch out over TLS with
// a fixed token, the upstream body passed back untouched. No mapping, validation, retries,
// timeouts or logging. The bench runs it beside the gateway, so the figures show how much of the
// cost is Deno's HTTP server and client (this) and how much is the gateway's own work (the rest).
// Started like main.ts, with the same environment variables.
//
// BASELINE_JS=1 makes it the least a *translating* proxy can do in JavaScript, which is what the
// gateway is: a non-stream body is parsed and serialised both ways (JSON in, JSON to GigaChat,
// its JSON back, JSON out), and a streamed body goes through a stream built in JavaScript, one
// small read at a time. Deno passes an untouched upstream body to the client without it ever
// reaching JavaScript; a body that is changed on the way cannot take that path, so this is the
// runtime's floor under the gateway's CPU per request and memory per open stream.

const apiUrl = Deno.env.get("GIGACHAT_API_URL")!;
const translating = Deno.env.get("BASELINE_JS") === "1";
const client = Deno.createHttpClient({
  caCerts: [await Deno.readTextFile(Deno.env.get("GIGACHAT_CA_FILE")!)],
});
const oauth = await fetch(Deno.env.get("GIGACHAT_AUTH_URL")!, {
  method: "POST",
  client,
  headers: {
    authorization: `Basic ${Deno.env.get("GIGACHAT_CREDENTIALS")}`,
    rquid: crypto.randomUUID(),
    "content-type": "application/x-www-form-urlencoded",
  },
  body: "scope=GIGACHAT_API_PERS",
});
const { access_token: token } = await oauth.json() as { access_token: string };

function chat(body: string, signal: AbortSignal): Promise<Response> {
  return fetch(`${apiUrl}/chat/completions`, {
    method: "POST",
    client,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
    signal,
  });
}

/** The upstream body as a stream made in JavaScript: 1 KiB reads, each chunk passed on. */
function pumped(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader({ mode: "byob" });
  return new ReadableStream<Uint8Array>({
    pull: (controller) =>
      reader.read(new Uint8Array(1024)).then(({ value, done }) => {
        if (done) controller.close();
        else controller.enqueue(value);
      }),
    cancel: (reason) => reader.cancel(reason),
  });
}

async function translate(request: Request): Promise<Response> {
  const body = await request.json();
  const upstream = await chat(JSON.stringify(body), request.signal);
  if (body.stream === true && upstream.body !== null) {
    return new Response(pumped(upstream.body), {
      status: upstream.status,
      headers: { "content-type": "text/event-stream" },
    });
  }
  return Response.json(await upstream.json(), { status: upstream.status });
}

const server = Deno.serve({
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
  port: Number(Deno.env.get("PORT")),
  onListen: () => {},
}, async (request) => {
  if (new URL(request.url).pathname === "/health") return new Response("ok");
  if (translating) return await translate(request);
  const upstream = await chat(await request.text(), request.signal);
  return new Response(upstream.body, {
    status: upstream.status,
    headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" },
  });
});

// SIGTERM ends it cleanly, so that a --cpu-prof profile gets written.
Deno.addSignalListener("SIGTERM", () => {
  server.shutdown().finally(() => Deno.exit(0));
});
