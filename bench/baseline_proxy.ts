// The least a Deno proxy in front of GigaChat can do: Deno.serve in, one fetch out over TLS with
// a fixed token, the upstream body passed back untouched. No mapping, validation, retries,
// timeouts or logging. The bench runs it beside the gateway, so the figures show how much of the
// cost is Deno's HTTP server and client (this) and how much is the gateway's own work (the rest).
// Started like main.ts, with the same environment variables.

const apiUrl = Deno.env.get("GIGACHAT_API_URL")!;
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

const server = Deno.serve({
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
  port: Number(Deno.env.get("PORT")),
  onListen: () => {},
}, async (request) => {
  if (new URL(request.url).pathname === "/health") return new Response("ok");
  const upstream = await fetch(`${apiUrl}/chat/completions`, {
    method: "POST",
    client,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: await request.text(),
    signal: request.signal,
  });
  return new Response(upstream.body, {
    status: upstream.status,
    headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" },
  });
});

// SIGTERM ends it cleanly, so that a --cpu-prof profile gets written.
Deno.addSignalListener("SIGTERM", () => {
  server.shutdown().finally(() => Deno.exit(0));
});
