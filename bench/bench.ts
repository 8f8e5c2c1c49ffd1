// `deno task bench [--quick] [--cpu-prof]`: the figures of issue 6, each through the gateway and
// directly against the fake GigaChat with the same client and concurrency. Separate processes
// take part, so none shares an event loop with another: this one (the load generator), the fake
// upstream (bench/fake_upstream.ts), the gateway (main.ts, as a user runs it) and, for
// comparison, a minimal Deno proxy (bench/baseline_proxy.ts) that shows what Deno's own HTTP
// server and client cost before the gateway does any work. All traffic is on 127.0.0.1, every
// phase is bounded in requests and time, and the children end with this run. Not a test:
// nothing fails on a figure; the table says which targets are met.
import { DEMO_KEY } from "../fake_gigachat/server.ts";
import { type LoadOptions, type LoadResult, runLoad } from "./load.ts";
import { ensureWrk, runWrk } from "./native_load.ts";
import {
  BASELINE_PROXY,
  cpuMs,
  delay,
  type GatewayProcess,
  startFakeUpstream,
  startGateway,
} from "./processes.ts";
import { formatSummary, readProfile, summarize } from "./profile_summary.ts";
import { SEND_MARKER } from "./stamp.ts";
import { measureStreams, openStreams, type StreamFigures, type StreamTarget } from "./streams.ts";

const FLAGS = ["--quick", "--cpu-prof", "--autocannon"];
const quick = Deno.args.includes("--quick");
const cpuProf = Deno.args.includes("--cpu-prof");
for (const arg of Deno.args) {
  if (!FLAGS.includes(arg)) {
    fail(`bench: unknown argument ${arg} (use ${FLAGS.join(", ")})`);
    Deno.exit(2);
  }
}
// Request/response load: Debian's wrk, installed when missing (issue 17: autocannon runs in
// this process's JavaScript and takes more of the two cores than the gateway does); autocannon
// when wrk cannot be had or --autocannon asks for it, and for runs of a fixed request count.
const generator: "wrk" | "autocannon" = !Deno.args.includes("--autocannon") && await ensureWrk(true)
  ? "wrk"
  : "autocannon";

/** Sizes of each phase; --quick keeps the whole run under a minute on the 2-core machine. */
const SETTINGS = {
  levels: [1, 16, 64],
  /** Interleaved rounds: direct, baseline, gateway, then again; each figure is their median. */
  rounds: 3,
  warmupS: quick ? 1 : 3,
  durationS: quick ? 2 : 8,
  streamCount: quick ? 40 : 200,
  streamConcurrency: 8,
  openStreams: 1000,
  soakRequests: quick ? 10_000 : 100_000,
  oauthConcurrent: 500,
  coldStarts: quick ? 3 : 5,
  /** "A chunk every few ms" (issue 6). */
  fastChunkDelayMs: 5,
  /** Long enough that the 1000 streams stay open while RSS is read. */
  slowChunkDelayMs: 2_000,
};

const RESULTS = new URL("./results/", import.meta.url).pathname;
const CHAT_BODY = JSON.stringify({
  model: "GigaChat",
  messages: [{ role: "user", content: "Hello" }],
});
// The fake echoes the user's words back in pieces of three words, so most pieces carry a
// marker, which the fake replaces with the moment it sends the piece.
const STREAM_BODY = JSON.stringify({
  model: "GigaChat",
  stream: true,
  messages: [{ role: "user", content: Array(22).fill(SEND_MARKER).join(" ") }],
});
// The same stream through the Responses dialect: its chunk delay must match chat's.
const RESPONSES_STREAM_BODY = JSON.stringify({
  model: "GigaChat",
  stream: true,
  store: false,
  input: Array(22).fill(SEND_MARKER).join(" "),
});
// And through the Messages dialect.
const MESSAGES_STREAM_BODY = JSON.stringify({
  model: "GigaChat",
  stream: true,
  max_tokens: 1024,
  messages: [{ role: "user", content: Array(22).fill(SEND_MARKER).join(" ") }],
});
// And through the Gemini dialect (SSE, as the SDKs ask for it).
const GEMINI_STREAM_BODY = JSON.stringify({
  contents: [{ role: "user", parts: [{ text: Array(22).fill(SEND_MARKER).join(" ") }] }],
});
const JSON_HEADERS = { "content-type": "application/json" };
const JS_PROXY_ENV = { BASELINE_JS: "1" };
// js_proxy: bench/baseline_proxy.ts with BASELINE_JS=1, the least a translating proxy does in
// JavaScript (issue 17: the runtime's floor under the gateway's own figures).
const PATHS = ["direct", "baseline", "js_proxy", "gateway"] as const;
type Path = typeof PATHS[number];
const STREAM_PATHS = [
  "direct",
  "baseline",
  "gateway",
  "gateway_responses",
  "gateway_messages",
  "gateway_gemini",
] as const;
type StreamPath = typeof STREAM_PATHS[number];

interface Target {
  chat: string;
  headers: Record<string, string>;
  /** The process answering the client (fake, baseline proxy or gateway). */
  pid: number;
  client?: Deno.HttpClient;
}

interface Measured extends LoadResult {
  /** CPU time per 2xx answer, in µs, of each process (10 ms clock resolution). */
  cpuUs: { client: number; fake: number; proxy: number };
}

interface Figures {
  coldStartsMs: number[];
  rssIdleMb: number;
  /** Per level: each path's median over the rounds, and every round as measured. */
  levels: ({ connections: number; rounds: Record<Path, Measured>[] } & Record<Path, Measured>)[];
  soak: { requests: number; failed: number; rssBeforeMb: number; rssAfterMb: number };
  streaming: Record<"direct" | "baseline" | "gateway", StreamFigures>;
  /** The gateway's /v1/responses and /v1/messages streams of the same answer. */
  responsesStreaming: StreamFigures;
  messagesStreaming: StreamFigures;
  /** The gateway's Gemini stream (`:streamGenerateContent?alt=sse`) of the same answer. */
  geminiStreaming: StreamFigures;
  /** Every streaming round as measured. */
  streamRounds: Record<StreamPath, StreamFigures>[];
  oauth: { calls: number; ok: number; failed: number };
  memory: {
    opened: number;
    failed: number;
    rssIdleMb: number;
    rssOpenMb: number;
    heapUsedIdleMb: number;
    heapUsedOpenMb: number;
    externalOpenMb: number;
    cpuCoresOpen: number;
    cpuUsPerChunk: number;
    rssClosedMb: number;
    upstreamAbandoned: number;
  };
  /** The bare proxy, and the least JavaScript proxy, with the same open streams. */
  baselineMemory: { opened: number; rssIdleMb: number; rssOpenMb: number };
  jsProxyMemory: { opened: number; rssIdleMb: number; rssOpenMb: number };
  profile?: { file: string; summary: string[] };
}

await Deno.mkdir(RESULTS, { recursive: true });
const workDir = await Deno.makeTempDir({ prefix: "gigachat-bench-" });
const fake = await startFakeUpstream(SETTINGS.fastChunkDelayMs, SETTINGS.slowChunkDelayMs);
const children = new Set<GatewayProcess>();
const began = performance.now();
try {
  await Deno.writeTextFile(`${workDir}/ca.pem`, fake.info.caPem);
  const figures = await run();
  const report = toReport(figures, (performance.now() - began) / 1000);
  say(table(report, figures.profile?.summary));
  const json = JSON.stringify(report, null, 2) + "\n";
  await Deno.writeTextFile(`${RESULTS}latest.json`, json);
  const stamp = new Date().toISOString().replaceAll(":", "-").slice(0, 19);
  await Deno.writeTextFile(`${RESULTS}${report.mode}-${stamp}.json`, json);
  say(`\nwritten: bench/results/latest.json (run took ${report.run_seconds.toFixed(1)} s)`);
} finally {
  await Promise.allSettled([...children].map((child) => child.close()));
  await fake.close();
  await Deno.remove(workDir, { recursive: true });
}

async function run(): Promise<Figures> {
  const { fast, slow } = fake.info;
  const directClient = Deno.createHttpClient({ caCerts: [fake.info.caPem] });
  const token = await accessToken(fast.authUrl, directClient);

  progress(`cold start x${SETTINGS.coldStarts}`);
  const coldStartsMs: number[] = [];
  for (let i = 0; i < SETTINGS.coldStarts; i++) {
    const gateway = await spawn(fast);
    coldStartsMs.push(gateway.coldStartMs);
    await close(gateway);
  }

  const profileDir = cpuProf ? `${RESULTS}profiles/${Date.now()}` : undefined;
  const gateway = await spawn(fast, {
    denoFlags: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
  });
  const baseline = await spawn(fast, { main: BASELINE_PROXY });
  const jsProxy = await spawn(fast, { main: BASELINE_PROXY, env: JS_PROXY_ENV });
  const rssIdleMb = await gateway.rssMb();
  const targets: Record<Path, Target> = {
    direct: {
      chat: `${fast.apiUrl}/chat/completions`,
      headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` },
      pid: fake.pid,
      client: directClient,
    },
    baseline: {
      chat: `${baseline.origin}/v1/chat/completions`,
      headers: JSON_HEADERS,
      pid: baseline.pid,
    },
    js_proxy: {
      chat: `${jsProxy.origin}/v1/chat/completions`,
      headers: JSON_HEADERS,
      pid: jsProxy.pid,
    },
    gateway: {
      chat: `${gateway.origin}/v1/chat/completions`,
      headers: JSON_HEADERS,
      pid: gateway.pid,
    },
  };
  const chatLoad = async (
    target: Target,
    options: Partial<LoadOptions>,
  ): Promise<LoadResult & { clientCpuMs?: number }> => {
    const load: LoadOptions = {
      url: target.chat,
      method: "POST",
      headers: target.headers,
      body: CHAT_BODY,
      connections: 64,
      ...options,
    };
    if (generator === "autocannon" || load.amount !== undefined) return await runLoad(load);
    const { cpuMs, ...result } = await runWrk(load, workDir);
    return { ...result, clientCpuMs: cpuMs };
  };

  progress("warm-up");
  for (const path of PATHS) await chatLoad(targets[path], { durationS: SETTINGS.warmupS });

  const levels: Figures["levels"] = [];
  for (const connections of SETTINGS.levels) {
    progress(
      `non-stream chat, ${connections} connections, ${SETTINGS.rounds} rounds of ` +
        `${SETTINGS.durationS} s per path (${generator})`,
    );
    const rounds: Record<Path, Measured>[] = [];
    for (let round = 0; round < SETTINGS.rounds; round++) {
      const measured = {} as Record<Path, Measured>;
      for (const path of PATHS) {
        const target = targets[path];
        const pids = { client: Deno.pid, fake: fake.pid, proxy: target.pid };
        const before = await cpuOf(pids);
        const { clientCpuMs, ...result } = await chatLoad(target, {
          connections,
          durationS: SETTINGS.durationS,
        });
        const after = await cpuOf(pids);
        const perRequest = (ms: number) => ms * 1000 / Math.max(1, result.ok);
        measured[path] = {
          ...result,
          cpuUs: {
            // wrk's own CPU when it ran; autocannon's is this process's.
            client: perRequest(clientCpuMs ?? after.client - before.client),
            fake: perRequest(after.fake - before.fake),
            proxy: path === "direct" ? 0 : perRequest(after.proxy - before.proxy),
          },
        };
      }
      rounds.push(measured);
    }
    const level = { connections, rounds } as Figures["levels"][number];
    for (const path of PATHS) level[path] = medianOf(rounds.map((round) => round[path]));
    levels.push(level);
  }

  progress(`${SETTINGS.soakRequests} non-stream requests for RSS growth`);
  const rssBeforeMb = await gateway.rssMb();
  const soakRun = await chatLoad(targets.gateway, { amount: SETTINGS.soakRequests });
  // A moment for the event loop to settle, so what is left is what was kept, not in flight.
  await delay(1_000);
  const soak = {
    requests: soakRun.ok + soakRun.failed,
    failed: soakRun.failed,
    rssBeforeMb,
    rssAfterMb: await gateway.rssMb(),
  };

  progress(
    `streaming, ${SETTINGS.streamCount} streams per path in ${SETTINGS.rounds} interleaved ` +
      `rounds, ${SETTINGS.streamConcurrency} at a time`,
  );
  const streamTarget = (target: Target, path = "/chat/completions", body = STREAM_BODY) => ({
    url: target.chat.replace("/chat/completions", path),
    headers: target.headers,
    body,
    client: target.client,
  });
  // The gateway's own dialects stream the same answer: their chunk delay must match chat's.
  const streamTargets: Record<StreamPath, StreamTarget> = {
    direct: streamTarget(targets.direct),
    baseline: streamTarget(targets.baseline),
    gateway: streamTarget(targets.gateway),
    gateway_responses: streamTarget(targets.gateway, "/responses", RESPONSES_STREAM_BODY),
    gateway_messages: streamTarget(targets.gateway, "/messages", MESSAGES_STREAM_BODY),
    gateway_gemini: streamTarget(
      targets.gateway,
      "/v1beta/models/GigaChat:streamGenerateContent?alt=sse",
      GEMINI_STREAM_BODY,
    ),
  };
  // The first streams pay for connections and compilation; they are not counted.
  for (const path of STREAM_PATHS) await measureStreams(streamTargets[path], 8, 8);
  const streamRounds: Record<StreamPath, StreamFigures>[] = [];
  for (let round = 0; round < SETTINGS.rounds; round++) {
    const measured = {} as Record<StreamPath, StreamFigures>;
    for (const path of STREAM_PATHS) {
      measured[path] = await measureStreams(
        streamTargets[path],
        Math.ceil(SETTINGS.streamCount / SETTINGS.rounds),
        SETTINGS.streamConcurrency,
      );
    }
    streamRounds.push(measured);
  }
  const streamingOf = (path: StreamPath) => medianStreams(streamRounds.map((r) => r[path]));
  const streaming = {
    direct: streamingOf("direct"),
    baseline: streamingOf("baseline"),
    gateway: streamingOf("gateway"),
  };
  const responsesStreaming = streamingOf("gateway_responses");
  const messagesStreaming = streamingOf("gateway_messages");
  const geminiStreaming = streamingOf("gateway_gemini");
  directClient.close();
  await close(baseline);
  await close(jsProxy);
  await close(gateway);
  const profile = profileDir ? await profileOf(profileDir) : undefined;

  progress(`OAuth calls for ${SETTINGS.oauthConcurrent} concurrent requests, fresh gateway`);
  const cold = await spawn(fast);
  const before = (await fake.stats()).fast.oauthCalls;
  const burst = await runLoad({
    url: `${cold.origin}/v1/chat/completions`,
    method: "POST",
    headers: JSON_HEADERS,
    body: CHAT_BODY,
    connections: SETTINGS.oauthConcurrent,
    amount: SETTINGS.oauthConcurrent,
  });
  const oauth = {
    calls: (await fake.stats()).fast.oauthCalls - before,
    ok: burst.ok,
    failed: burst.failed,
  };
  await close(cold);

  progress(`${SETTINGS.openStreams} open streams, fresh gateway`);
  const streamsGateway = await spawn(slow);
  const memoryIdleMb = await streamsGateway.rssMb();
  const heapIdle = await memoryOf(streamsGateway.origin);
  const abandonedBefore = (await fake.stats()).slow.abandonedStreams;
  const held = await holdStreams(streamsGateway);
  const cpuOpenMs = held.cpuHeldMs;
  // Where the memory is: V8's heap (the gateway's JavaScript objects) or outside it.
  const heapOpen = await memoryOf(streamsGateway.origin);
  const chunksRelayed = held.opened * held.heldMs / SETTINGS.slowChunkDelayMs;
  await held.close();
  await delay(1_500);
  const memory = {
    opened: held.opened,
    failed: held.failed,
    rssIdleMb: memoryIdleMb,
    rssOpenMb: held.rssOpenMb,
    heapUsedIdleMb: heapIdle.heapUsedMb,
    heapUsedOpenMb: heapOpen.heapUsedMb,
    externalOpenMb: heapOpen.externalMb,
    // CPU share (cores) while the streams were held, and CPU per relayed chunk.
    cpuCoresOpen: cpuOpenMs / held.heldMs,
    cpuUsPerChunk: chunksRelayed > 0 ? cpuOpenMs * 1000 / chunksRelayed : 0,
    rssClosedMb: await streamsGateway.rssMb(),
    upstreamAbandoned: (await fake.stats()).slow.abandonedStreams - abandonedBefore,
  };
  await close(streamsGateway);

  // The same streams through the bare Deno proxy: what the runtime itself holds per stream
  // (two connections, one of them TLS), the floor under the gateway's figure; and through the
  // least JavaScript proxy: what any body made in JavaScript costs on top.
  const floorMemory = async (name: string, env: Record<string, string>) => {
    progress(`${SETTINGS.openStreams} open streams, ${name}`);
    const proxy = await spawn(slow, { main: BASELINE_PROXY, env });
    const rssIdleMb = await proxy.rssMb();
    const held = await holdStreams(proxy);
    await held.close();
    await close(proxy);
    return { opened: held.opened, rssIdleMb, rssOpenMb: held.rssOpenMb };
  };
  const baselineMemory = await floorMemory("bare proxy", {});
  const jsProxyMemory = await floorMemory("least JavaScript proxy", JS_PROXY_ENV);

  return {
    coldStartsMs,
    rssIdleMb,
    levels,
    soak,
    streaming,
    responsesStreaming,
    messagesStreaming,
    geminiStreaming,
    streamRounds,
    oauth,
    memory,
    baselineMemory,
    jsProxyMemory,
    profile,
  };
}

/** Each figure's median over the rounds (figure by figure, so a median round need not exist). */
function medianOf(rounds: Measured[]): Measured {
  const m = (pick: (x: Measured) => number) => median(rounds.map(pick));
  return {
    connections: rounds[0].connections,
    ok: m((x) => x.ok),
    failed: m((x) => x.failed),
    durationS: m((x) => x.durationS),
    rps: m((x) => x.rps),
    p50Ms: m((x) => x.p50Ms),
    p99Ms: m((x) => x.p99Ms),
    meanMs: m((x) => x.meanMs),
    cpuUs: {
      client: m((x) => x.cpuUs.client),
      fake: m((x) => x.cpuUs.fake),
      proxy: m((x) => x.cpuUs.proxy),
    },
  };
}

/** Streams and chunks of all rounds; each percentile the median of the rounds'. */
function medianStreams(rounds: StreamFigures[]): StreamFigures {
  const m = (pick: (x: StreamFigures) => number) => median(rounds.map(pick));
  const sum = (pick: (x: StreamFigures) => number) => rounds.reduce((t, x) => t + pick(x), 0);
  return {
    streams: sum((x) => x.streams),
    failed: sum((x) => x.failed),
    chunks: sum((x) => x.chunks),
    ttfbP50Ms: m((x) => x.ttfbP50Ms),
    ttfbP99Ms: m((x) => x.ttfbP99Ms),
    gapP50Ms: m((x) => x.gapP50Ms),
    gapP99Ms: m((x) => x.gapP99Ms),
  };
}

/** The middle value (the upper middle one of an even count). */
function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

/** The lowest and highest value: a figure's spread over the rounds. */
function spread(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

async function spawn(
  upstream: { apiUrl: string; authUrl: string },
  options: { denoFlags?: string[]; main?: string; env?: Record<string, string> } = {},
): Promise<GatewayProcess> {
  const child = await startGateway({ upstream, cwd: workDir, ...options });
  children.add(child);
  return child;
}

async function close(child: GatewayProcess): Promise<void> {
  children.delete(child);
  await child.close();
}

async function cpuOf<K extends string>(pids: Record<K, number>): Promise<Record<K, number>> {
  const entries = await Promise.all(
    Object.entries<number>(pids).map(async ([key, pid]) => [key, await cpuMs(pid)] as const),
  );
  return Object.fromEntries(entries) as Record<K, number>;
}

/**
 * Opens SETTINGS.openStreams streams on `process` and reads its RSS twice, a second apart (the
 * larger counts, in case a collection ran just before one), and the CPU it spent meanwhile:
 * what holding and relaying the streams costs, each getting a chunk every slowChunkDelayMs.
 * `close` ends the streams.
 */
async function holdStreams(process: GatewayProcess) {
  const streams = await openStreams(
    { url: `${process.origin}/v1/chat/completions`, headers: JSON_HEADERS, body: STREAM_BODY },
    SETTINGS.openStreams,
    100,
  );
  const cpuBefore = await cpuMs(process.pid);
  const heldFrom = performance.now();
  await delay(1_000);
  const first = await process.rssMb();
  await delay(1_000);
  const rssOpenMb = Math.max(first, await process.rssMb());
  return {
    opened: streams.open,
    failed: streams.failed,
    rssOpenMb,
    heldMs: performance.now() - heldFrom,
    cpuHeldMs: await cpuMs(process.pid) - cpuBefore,
    close: () => streams.close(),
  };
}

/** V8 heap in use and memory outside it, from the gateway's own /metrics (loopback may read). */
async function memoryOf(origin: string): Promise<{ heapUsedMb: number; externalMb: number }> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const bytes = (kind: string) =>
    Number(
      new RegExp(`^gigachat_gateway_memory_bytes\\{kind="${kind}"\\} (\\d+)$`, "m").exec(text)
        ?.[1] ?? Number.NaN,
    );
  return { heapUsedMb: bytes("heap_used") / 2 ** 20, externalMb: bytes("external") / 2 ** 20 };
}

/** A token from the fake's OAuth endpoint, for calling its API directly (as GigaChat wants). */
async function accessToken(authUrl: string, client: Deno.HttpClient): Promise<string> {
  const response = await fetch(authUrl, {
    method: "POST",
    client,
    headers: {
      authorization: `Basic ${DEMO_KEY}`,
      rquid: crypto.randomUUID(),
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: "scope=GIGACHAT_API_PERS",
  });
  const body = await response.json() as { access_token?: string };
  if (body.access_token === undefined) {
    throw new Error(`no token from the fake: ${response.status}`);
  }
  return body.access_token;
}

/** The gateway's profile, written when it exited, summarised. */
async function profileOf(dir: string): Promise<{ file: string; summary: string[] } | undefined> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".cpuprofile")) continue;
    const file = `${dir}/${entry.name}`;
    return { file, summary: formatSummary(summarize(await readProfile(file), 15)) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Report

type Report = ReturnType<typeof toReport>;

function toReport(f: Figures, runSeconds: number) {
  const at64 = f.levels.find((level) => level.connections === 64)!;
  const at1 = f.levels.find((level) => level.connections === 1)!;
  const round = (value: number) => Math.round(value * 1000) / 1000;
  // What each open stream adds to a process's RSS, in KB.
  const kbPerStream = (held: { opened: number; rssIdleMb: number; rssOpenMb: number }) =>
    round((held.rssOpenMb - held.rssIdleMb) * 1024 / Math.max(1, held.opened));
  // Ratios and differences are taken within each round (the paths of one round ran back to
  // back), then their median; the spread is their range over the rounds.
  const perRound = (
    level: Figures["levels"][number],
    figure: (round: Record<Path, Measured>) => number,
  ) => {
    const values = level.rounds.map(figure);
    return { value: median(values), spread: spread(values).map(round) };
  };
  const added50 = perRound(at64, (r) => r.gateway.p50Ms - r.direct.p50Ms);
  const added99 = perRound(at64, (r) => r.gateway.p99Ms - r.direct.p99Ms);
  const ratioAt64 = perRound(at64, (r) => r.gateway.rps / r.direct.rps);
  const cpuRatio = perRound(at64, (r) => r.gateway.cpuUs.proxy / r.baseline.cpuUs.proxy);
  const cpuRatioJs = perRound(at64, (r) => r.gateway.cpuUs.proxy / r.js_proxy.cpuUs.proxy);
  const jsFloor = perRound(at64, (r) => r.js_proxy.cpuUs.proxy / r.baseline.cpuUs.proxy);
  const added1 = perRound(at1, (r) => r.gateway.p50Ms - r.direct.p50Ms);
  const addedP50 = added50.value;
  const addedP99 = added99.value;
  const ratio = ratioAt64.value;
  const s = f.streaming;
  // Each stream path's added chunk delay within a round (against that round's direct), then
  // the median over the rounds, with their range.
  const addedGap = (path: StreamPath) => {
    const values = f.streamRounds.map((r) => r[path].gapP50Ms - r.direct.gapP50Ms);
    return { value: median(values), spread: spread(values).map(round) };
  };
  const chunk = addedGap("gateway");
  const responsesChunk = addedGap("gateway_responses");
  const messagesChunk = addedGap("gateway_messages");
  const geminiChunk = addedGap("gateway_gemini");
  const chunkP50 = chunk.value;
  const responsesChunkP50 = responsesChunk.value;
  const messagesChunkP50 = messagesChunk.value;
  const geminiChunkP50 = geminiChunk.value;
  const targets = [
    { name: "added latency p50 @64", goal: "<= 1 ms", value: addedP50, met: addedP50 <= 1 },
    { name: "added latency p99 @64", goal: "<= 3 ms", value: addedP99, met: addedP99 <= 3 },
    { name: "throughput ratio @64", goal: ">= 0.8", value: ratio, met: ratio >= 0.8 },
    {
      name: "CPU per request vs bare proxy @64",
      goal: "<= 1.5",
      value: cpuRatio.value,
      met: cpuRatio.value <= 1.5,
    },
    {
      name: "added latency p50 @1",
      goal: "<= 0.5 ms",
      value: added1.value,
      met: added1.value <= 0.5,
    },
    { name: "chunk delay p50", goal: "<= 0.5 ms", value: chunkP50, met: chunkP50 <= 0.5 },
    {
      name: "Responses chunk delay p50",
      goal: "chat's ±0.5 ms",
      value: responsesChunkP50,
      met: Math.abs(responsesChunkP50 - chunkP50) <= 0.5,
    },
    {
      name: "Messages chunk delay p50",
      goal: "chat's ±0.5 ms",
      value: messagesChunkP50,
      met: Math.abs(messagesChunkP50 - chunkP50) <= 0.5,
    },
    {
      name: "Gemini chunk delay p50",
      goal: "chat's ±0.5 ms",
      value: geminiChunkP50,
      met: Math.abs(geminiChunkP50 - chunkP50) <= 0.5,
    },
    {
      name: "RSS, 1000 streams",
      goal: "< 150 MB",
      value: f.memory.rssOpenMb,
      met: f.memory.rssOpenMb < 150 && f.memory.opened === SETTINGS.openStreams,
    },
    {
      name: "OAuth calls, 500 cold",
      goal: "= 1",
      value: f.oauth.calls,
      met: f.oauth.calls === 1 && f.oauth.ok === SETTINGS.oauthConcurrent,
    },
  ];
  const load = (result: Measured) => ({
    rps: round(result.rps),
    p50_ms: round(result.p50Ms),
    p99_ms: round(result.p99Ms),
    mean_ms: round(result.meanMs),
    ok: result.ok,
    failed: result.failed,
    cpu_us_per_request: {
      client: round(result.cpuUs.client),
      fake: round(result.cpuUs.fake),
      proxy: round(result.cpuUs.proxy),
    },
  });
  const stream = (result: StreamFigures) => ({
    streams: result.streams,
    failed: result.failed,
    chunks: result.chunks,
    ttfb_p50_ms: round(result.ttfbP50Ms),
    ttfb_p99_ms: round(result.ttfbP99Ms),
    gap_p50_ms: round(result.gapP50Ms),
    gap_p99_ms: round(result.gapP99Ms),
  });
  return {
    mode: quick ? "quick" : "full",
    date: new Date().toISOString(),
    machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno, os: Deno.build.os },
    settings: SETTINGS,
    load_generator: generator,
    run_seconds: round(runSeconds),
    // The keys issue 6 asks for; latency and throughput at 64 concurrent connections.
    added_latency_p50_ms: round(addedP50),
    added_latency_p99_ms: round(addedP99),
    throughput_ratio: round(ratio),
    stream_chunk_delay_p50_ms: round(chunkP50),
    responses_stream_chunk_delay_p50_ms: round(responsesChunkP50),
    messages_stream_chunk_delay_p50_ms: round(messagesChunkP50),
    gemini_stream_chunk_delay_p50_ms: round(geminiChunkP50),
    stream_chunk_delay_p50_ms_spread: chunk.spread,
    responses_stream_chunk_delay_p50_ms_spread: responsesChunk.spread,
    messages_stream_chunk_delay_p50_ms_spread: messagesChunk.spread,
    gemini_stream_chunk_delay_p50_ms_spread: geminiChunk.spread,
    // Issue 17's figures, with their spread over the rounds.
    cpu_ratio_vs_bare_proxy: round(cpuRatio.value),
    cpu_ratio_vs_bare_proxy_spread: cpuRatio.spread,
    // The floor under it: the least JavaScript proxy over the bare one, and the gateway over
    // the least JavaScript proxy (what the gateway's own work costs).
    js_proxy_cpu_ratio_vs_bare_proxy: round(jsFloor.value),
    js_proxy_cpu_ratio_vs_bare_proxy_spread: jsFloor.spread,
    cpu_ratio_vs_js_proxy: round(cpuRatioJs.value),
    cpu_ratio_vs_js_proxy_spread: cpuRatioJs.spread,
    throughput_ratio_spread: ratioAt64.spread,
    added_latency_p50_ms_spread: added50.spread,
    added_latency_p99_ms_spread: added99.spread,
    added_latency_p50_ms_1_conn: round(added1.value),
    added_latency_p50_ms_1_conn_spread: added1.spread,
    rss_mb_1000_streams: round(f.memory.rssOpenMb),
    oauth_calls_500_cold: f.oauth.calls,
    cold_start_ms: round(median(f.coldStartsMs)),
    // More of the same, and the baseline proxy's figures for comparison.
    stream_chunk_delay_p99_ms: round(s.gateway.gapP99Ms - s.direct.gapP99Ms),
    stream_ttfb_added_p50_ms: round(s.gateway.ttfbP50Ms - s.direct.ttfbP50Ms),
    baseline_added_latency_p50_ms: round(at64.baseline.p50Ms - at64.direct.p50Ms),
    baseline_throughput_ratio: round(at64.baseline.rps / at64.direct.rps),
    gateway_cpu_us_per_request: round(at64.gateway.cpuUs.proxy),
    baseline_cpu_us_per_request: round(at64.baseline.cpuUs.proxy),
    js_proxy_cpu_us_per_request: round(at64.js_proxy.cpuUs.proxy),
    cold_starts_ms: f.coldStartsMs.map(round),
    rss_mb_idle: round(f.rssIdleMb),
    rss_mb_before_requests: round(f.soak.rssBeforeMb),
    rss_mb_after_requests: round(f.soak.rssAfterMb),
    requests_between_rss: f.soak.requests,
    requests_failed_between_rss: f.soak.failed,
    non_stream: f.levels.map((level) => {
      const ratios = perRound(level, (r) => r.gateway.rps / r.direct.rps);
      return {
        connections: level.connections,
        direct: load(level.direct),
        baseline: load(level.baseline),
        js_proxy: load(level.js_proxy),
        gateway: load(level.gateway),
        added_p50_ms: round(perRound(level, (r) => r.gateway.p50Ms - r.direct.p50Ms).value),
        added_p99_ms: round(perRound(level, (r) => r.gateway.p99Ms - r.direct.p99Ms).value),
        throughput_ratio: round(ratios.value),
        throughput_ratio_spread: ratios.spread,
        rps_spread: Object.fromEntries(
          PATHS.map((path) => [path, spread(level.rounds.map((r) => r[path].rps)).map(round)]),
        ),
      };
    }),
    streaming: {
      direct: stream(s.direct),
      baseline: stream(s.baseline),
      gateway: stream(s.gateway),
      gateway_responses: stream(f.responsesStreaming),
      gateway_messages: stream(f.messagesStreaming),
      gateway_gemini: stream(f.geminiStreaming),
    },
    oauth: { requests: SETTINGS.oauthConcurrent, ...f.oauth },
    open_streams: {
      requested: SETTINGS.openStreams,
      opened: f.memory.opened,
      failed: f.memory.failed,
      rss_mb_idle: round(f.memory.rssIdleMb),
      rss_mb_open: round(f.memory.rssOpenMb),
      rss_kb_per_stream: kbPerStream(f.memory),
      heap_used_mb_idle: round(f.memory.heapUsedIdleMb),
      heap_used_mb_open: round(f.memory.heapUsedOpenMb),
      heap_kb_per_stream: round(
        (f.memory.heapUsedOpenMb - f.memory.heapUsedIdleMb) * 1024 / Math.max(1, f.memory.opened),
      ),
      external_mb_open: round(f.memory.externalOpenMb),
      cpu_cores_open: round(f.memory.cpuCoresOpen),
      cpu_us_per_chunk: round(f.memory.cpuUsPerChunk),
      rss_mb_after_close: round(f.memory.rssClosedMb),
      baseline_opened: f.baselineMemory.opened,
      baseline_rss_mb_idle: round(f.baselineMemory.rssIdleMb),
      baseline_rss_mb_open: round(f.baselineMemory.rssOpenMb),
      baseline_rss_kb_per_stream: kbPerStream(f.baselineMemory),
      js_proxy_opened: f.jsProxyMemory.opened,
      js_proxy_rss_mb_idle: round(f.jsProxyMemory.rssIdleMb),
      js_proxy_rss_mb_open: round(f.jsProxyMemory.rssOpenMb),
      js_proxy_rss_kb_per_stream: kbPerStream(f.jsProxyMemory),
      upstream_streams_stopped: f.memory.upstreamAbandoned,
    },
    cpu_profile: f.profile?.file,
    targets: targets.map((t) => ({ ...t, value: round(t.value) })),
  };
}

function table(r: Report, profile: string[] | undefined): string {
  const n = (value: number, digits = 2) => value.toFixed(digits);
  const lines = [
    `gigachat-gateway bench (${r.mode}), ${r.machine.cpus} CPUs, Deno ${r.machine.deno}; ` +
    `baseline = a minimal Deno pass-through proxy; js_proxy = the least a translating proxy ` +
    "does in JavaScript",
    "",
    `non-stream chat (${r.load_generator}, POST /chat/completions, median of ` +
    `${SETTINGS.rounds} interleaved rounds); added = vs direct; ` +
    "cpu = CPU µs per request of client / fake / proxy",
  ];
  const rows = [[
    "conns",
    "path",
    "req/s",
    "p50 ms",
    "p99 ms",
    "failed",
    "added p50",
    "added p99",
    "ratio",
    "ratio range",
    "cpu client/fake/proxy",
  ]];
  for (const level of r.non_stream) {
    for (const path of PATHS) {
      const x = level[path];
      const cpu = x.cpu_us_per_request;
      rows.push([
        path === "direct" ? String(level.connections) : "",
        path,
        n(x.rps, 0),
        n(x.p50_ms),
        n(x.p99_ms),
        String(x.failed),
        // The gateway's differences and ratio are taken within each round, as the targets'
        // are; the baseline's from its medians.
        path === "direct" ? "" : n(
          path === "gateway" ? level.added_p50_ms : x.p50_ms - level.direct.p50_ms,
        ),
        path === "direct" ? "" : n(
          path === "gateway" ? level.added_p99_ms : x.p99_ms - level.direct.p99_ms,
        ),
        path === "direct" ? "" : n(
          path === "gateway" ? level.throughput_ratio : x.rps / level.direct.rps,
        ),
        path === "gateway" ? level.throughput_ratio_spread.map((v) => n(v)).join("–") : "",
        `${n(cpu.client, 0)} / ${n(cpu.fake, 0)} / ${path === "direct" ? "-" : n(cpu.proxy, 0)}`,
      ]);
    }
  }
  lines.push(
    ...columns(rows),
    "",
    `streaming (fetch, ${SETTINGS.streamConcurrency} at a time, a chunk every ` +
      `${SETTINGS.fastChunkDelayMs} ms; gap = upstream send to client receipt; added = vs direct)`,
  );
  const s = r.streaming;
  lines.push(...columns([
    [
      "path",
      "streams",
      "chunks",
      "ttfb p50",
      "ttfb p99",
      "gap p50",
      "gap p99",
      "added gap p50",
      "added range",
    ],
    ...STREAM_PATHS.map((path) => {
      const x = s[path];
      // Added delays as the targets take them: within each round, then the median.
      const added: Record<StreamPath, [number, number[]] | undefined> = {
        direct: undefined,
        baseline: [x.gap_p50_ms - s.direct.gap_p50_ms, [NaN, NaN]],
        gateway: [r.stream_chunk_delay_p50_ms, r.stream_chunk_delay_p50_ms_spread],
        gateway_responses: [
          r.responses_stream_chunk_delay_p50_ms,
          r.responses_stream_chunk_delay_p50_ms_spread,
        ],
        gateway_messages: [
          r.messages_stream_chunk_delay_p50_ms,
          r.messages_stream_chunk_delay_p50_ms_spread,
        ],
        gateway_gemini: [
          r.gemini_stream_chunk_delay_p50_ms,
          r.gemini_stream_chunk_delay_p50_ms_spread,
        ],
      };
      const [value, range] = added[path] ?? [NaN, [NaN, NaN]];
      return [
        path.replace("gateway_", "gateway /"),
        String(x.streams - x.failed),
        String(x.chunks),
        n(x.ttfb_p50_ms),
        n(x.ttfb_p99_ms),
        n(x.gap_p50_ms),
        n(x.gap_p99_ms),
        path === "direct" ? "" : n(value),
        Number.isNaN(range[0]) ? "" : range.map((v) => n(v)).join("–"),
      ];
    }),
  ]));
  const o = r.open_streams;
  const growth = r.rss_mb_after_requests - r.rss_mb_before_requests;
  lines.push(
    "",
    "memory (VmRSS)",
    ...columns([
      ["idle after start", `${n(r.rss_mb_idle, 1)} MB`],
      [`before ${r.requests_between_rss} more requests`, `${n(r.rss_mb_before_requests, 1)} MB`],
      [
        `after them (${r.requests_failed_between_rss} failed)`,
        `${n(r.rss_mb_after_requests, 1)} MB (${growth >= 0 ? "+" : ""}${n(growth, 1)})`,
      ],
      ["fresh gateway, idle", `${n(o.rss_mb_idle, 1)} MB`],
      [
        `${o.opened}/${o.requested} streams open`,
        `${n(o.rss_mb_open, 1)} MB (${n(o.rss_kb_per_stream, 0)} KB per stream; CPU ${
          n(o.cpu_cores_open, 3)
        } cores, ${n(o.cpu_us_per_chunk, 0)} µs per chunk)`,
      ],
      [
        "  of which V8 heap in use",
        `${n(o.heap_used_mb_open, 1)} MB (idle ${n(o.heap_used_mb_idle, 1)}; ${
          n(o.heap_kb_per_stream, 0)
        } KB per stream); external ${n(o.external_mb_open, 1)} MB`,
      ],
      [
        "after closing them",
        `${
          n(o.rss_mb_after_close, 1)
        } MB (upstream streams stopped: ${o.upstream_streams_stopped})`,
      ],
      [
        `bare proxy: idle, ${o.baseline_opened} streams open`,
        `${n(o.baseline_rss_mb_idle, 1)} MB, ${n(o.baseline_rss_mb_open, 1)} MB (${
          n(o.baseline_rss_kb_per_stream, 0)
        } KB per stream)`,
      ],
      [
        `least JavaScript proxy: idle, ${o.js_proxy_opened} open`,
        `${n(o.js_proxy_rss_mb_idle, 1)} MB, ${n(o.js_proxy_rss_mb_open, 1)} MB (${
          n(o.js_proxy_rss_kb_per_stream, 0)
        } KB per stream)`,
      ],
    ]),
    "",
    `OAuth calls for ${r.oauth.requests} concurrent requests on a cold cache: ${r.oauth.calls} ` +
      `(${r.oauth.ok} answered 200, ${r.oauth.failed} failed)`,
    `cold start to first 200 on /health: ${n(r.cold_start_ms, 0)} ms, median of ` +
      `[${r.cold_starts_ms.map((ms) => n(ms, 0)).join(", ")}]`,
    "",
    `CPU per request, gateway over bare proxy @64: ${n(r.cpu_ratio_vs_bare_proxy)} ` +
      `(rounds ${r.cpu_ratio_vs_bare_proxy_spread.map((v) => n(v)).join("–")}); ` +
      `over the least JavaScript proxy: ${n(r.cpu_ratio_vs_js_proxy)} ` +
      `(rounds ${r.cpu_ratio_vs_js_proxy_spread.map((v) => n(v)).join("–")}); ` +
      `the least JavaScript proxy over the bare one: ${n(r.js_proxy_cpu_ratio_vs_bare_proxy)}`,
    "",
    "targets (issues 6 and 17)",
    ...columns(r.targets.map((t) => [t.met ? "met" : "MISSED", t.name, t.goal, n(t.value)])),
  );
  if (profile) lines.push("", `gateway CPU profile: ${r.cpu_profile}`, ...profile);
  return lines.join("\n");
}

function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) =>
    "  " + row.map((cell, i) => i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))
      .join("  ")
  );
}

function progress(text: string): void {
  // deno-lint-ignore no-console
  console.error(`[${((performance.now() - began) / 1000).toFixed(1)} s] ${text}`);
}

function say(text: string): void {
  // deno-lint-ignore no-console
  console.log(text);
}

function fail(text: string): void {
  // deno-lint-ignore no-console
  console.error(text);
}
