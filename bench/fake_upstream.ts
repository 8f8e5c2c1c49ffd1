// The fake GigaChat of the tests, in a process of its own for `deno task bench`, so that the load
// generator, the fake and the gateway each have their own event loop (and, as far as two cores
// allow, their own core). It starts two fakes sharing one throw-away CA, prints one JSON line
// (FakeUpstreamInfo) and serves counters on a plain-HTTP control port until its stdin closes,
// which happens when the bench exits, however it exits.
import { ServerResponse } from "node:http";
import { FakeGigaChat } from "../fake_gigachat/server.ts";
import { createTestTls } from "../fake_gigachat/test_tls.ts";
import { type FakeStats, type FakeUpstreamInfo, SEND_MARKER, stampNow } from "./stamp.ts";

const FAST_CHUNK_DELAY_MS = Number(Deno.args[0] ?? "5");
const SLOW_CHUNK_DELAY_MS = Number(Deno.args[1] ?? "2000");
/** A bench run never needs the fake longer than this; it then stops by itself. */
const LIFETIME_MS = 15 * 60_000;

// The fake writes each stream event with `res.write`; stamping the send time there, after the
// fake's own pacing, makes the stamp the moment the chunk leaves for the gateway (or client).
type Write = (this: ServerResponse, chunk: unknown, ...rest: unknown[]) => boolean;
const prototype = ServerResponse.prototype as unknown as { write: Write };
const originalWrite = prototype.write;
prototype.write = function (chunk, ...rest) {
  const stamped = typeof chunk === "string" && chunk.includes(SEND_MARKER)
    ? chunk.replaceAll(SEND_MARKER, stampNow())
    : chunk;
  return originalWrite.call(this, stamped, ...rest);
};

const tls = await createTestTls("Bench Fake GigaChat CA");
const fast = await FakeGigaChat.start({ tls, chunkDelayMs: FAST_CHUNK_DELAY_MS });
const slow = await FakeGigaChat.start({ tls, chunkDelayMs: SLOW_CHUNK_DELAY_MS });

// The fake records every request for the tests' assertions; 100 000 of them would make this
// process grow by hundreds of MB and slow it down, which is not what the bench measures.
const trim = setInterval(() => {
  fast.requests.length = 0;
  slow.requests.length = 0;
}, 250);

const counters = (fake: FakeGigaChat) => ({
  oauthCalls: fake.oauthCalls,
  abandonedStreams: fake.abandonedStreams,
});
const control = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
  if (new URL(request.url).pathname !== "/stats") return new Response(null, { status: 404 });
  const stats: FakeStats = { fast: counters(fast), slow: counters(slow) };
  return Response.json(stats);
});

const info: FakeUpstreamInfo = {
  fast: { apiUrl: fast.apiUrl, authUrl: fast.authUrl },
  slow: { apiUrl: slow.apiUrl, authUrl: slow.authUrl },
  caPem: tls.caPem,
  controlUrl: `http://127.0.0.1:${control.addr.port}`,
};
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(info) + "\n"));

const lifetime = setTimeout(() => stop(), LIFETIME_MS);
// Stdin closes when the parent goes away, killed or not: the fake never outlives the bench.
for await (const _ of Deno.stdin.readable) {
  // Nothing is sent on stdin; it is read only to notice its end.
}
await stop();

async function stop(): Promise<void> {
  clearTimeout(lifetime);
  clearInterval(trim);
  // Not a graceful shutdown of the control server: it would wait for the bench's keep-alive
  // connection to go idle. Exiting closes it anyway.
  await Promise.allSettled([fast.close(), slow.close()]);
  Deno.exit(0);
}
