// `deno task bench:ab <other checkout>/main.ts [connections] [rounds]`: this checkout's gateway
// (A) against another build of it (B, e.g. a git worktree with one change), side by side on
// one fake GigaChat, in interleaved rounds (A then B, then B then A, ...). On a machine whose
// speed drifts by ±20% between runs, only the two measured together, round by round, tell a
// few percent apart; the per-round B/A ratios show whether a difference is more than noise.
// CPU per request comes from /proc, latency from wrk. Not a test: it prints figures.
import { V8_FLAGS } from "../deploy/compile.ts";
import { runWrk } from "./native_load.ts";
import { cpuMs, type GatewayProcess, startFakeUpstream, startGateway } from "./processes.ts";

const [other, connectionsArg = "64", roundsArg = "6"] = Deno.args;
if (other === undefined || !other.endsWith("main.ts")) {
  // deno-lint-ignore no-console
  console.error("usage: deno task bench:ab <other checkout>/main.ts [connections] [rounds]");
  Deno.exit(2);
}
const connections = Number(connectionsArg);
const rounds = Number(roundsArg);
const ROUND_S = 3;

const fake = await startFakeUpstream(5, 2_000);
const dir = await Deno.makeTempDir({ prefix: "gigachat-ab-" });
const started: GatewayProcess[] = [];
try {
  await Deno.writeTextFile(`${dir}/ca.pem`, fake.info.caPem);
  // AB_KEYS=tenant: A serves a key made through its admin API, B (a build before tenants) the
  // same secret as a PROXY_API_KEYS entry: what finding a tenant's key and checking its limits
  // costs per request.
  const tenantMode = Deno.env.get("AB_KEYS") === "tenant";
  // AB_A_ENV, AB_B_ENV: settings (a JSON object) for one side only, e.g. a GIGACHAT_POOL.
  const sideEnv = (name: string): Record<string, string> => JSON.parse(Deno.env.get(name) ?? "{}");
  const a = await startGateway({
    upstream: fake.info.fast,
    cwd: dir,
    // AB_REDIS_URL: A's tenants live in that Redis (one request reads its key there).
    env: tenantMode
      ? {
        ADMIN_TOKEN: "bench-admin-token-0123456789",
        DATA_DIR: ":memory:",
        ...(Deno.env.get("AB_REDIS_URL") ? { REDIS_URL: Deno.env.get("AB_REDIS_URL")! } : {}),
        ...sideEnv("AB_A_ENV"),
      }
      : sideEnv("AB_A_ENV"),
  });
  started.push(a);
  let secret: string | undefined;
  if (tenantMode) {
    const made = await fetch(`${a.origin}/admin/keys`, {
      method: "POST",
      headers: { authorization: "Bearer bench-admin-token-0123456789" },
      body: JSON.stringify({ name: "bench", rpm: 1_000_000_000, daily_tokens: 1e15 }),
    });
    secret = (await made.json()).key;
  }
  // B with its own deno.json (its imports may differ) and the flags A gets by default.
  const b = await startGateway({
    upstream: fake.info.fast,
    cwd: dir,
    main: new URL(other, `file://${Deno.cwd()}/`).pathname,
    config: new URL(other.replace(/main\.ts$/, "deno.json"), `file://${Deno.cwd()}/`).pathname,
    denoFlags: [V8_FLAGS],
    env: { ...(secret === undefined ? {} : { PROXY_API_KEYS: secret }), ...sideEnv("AB_B_ENV") },
  });
  started.push(b);
  // AB_KEY: a key both sides take (a PROXY_API_KEYS entry in AB_A_ENV and AB_B_ENV).
  const key = secret ?? Deno.env.get("AB_KEY");
  const auth: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  const body = JSON.stringify({
    model: "GigaChat",
    messages: [{ role: "user", content: "Hello" }],
  });
  const run = async (gateway: GatewayProcess, durationS: number) => {
    const before = await cpuMs(gateway.pid);
    const result = await runWrk({
      url: `${gateway.origin}/v1/chat/completions`,
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body,
      connections,
      durationS,
    }, dir);
    const cpuUs = (await cpuMs(gateway.pid) - before) * 1000 / Math.max(1, result.ok);
    return { cpuUs, rps: result.rps, p50Ms: result.p50Ms };
  };
  // Warm-up: connections, compilation.
  await run(a, 2);
  await run(b, 2);
  const measured: { a: Awaited<ReturnType<typeof run>>; b: Awaited<ReturnType<typeof run>> }[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      const first = await run(a, ROUND_S);
      measured.push({ a: first, b: await run(b, ROUND_S) });
    } else {
      const first = await run(b, ROUND_S);
      measured.push({ a: await run(a, ROUND_S), b: first });
    }
  }
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[values.length >> 1];
  const line = (name: string, pick: (x: typeof measured[number]["a"]) => number, digits = 0) =>
    `  ${name.padEnd(20)} A ${median(measured.map((m) => pick(m.a))).toFixed(digits)}  B ${
      median(measured.map((m) => pick(m.b))).toFixed(digits)
    }  B/A by round ${measured.map((m) => (pick(m.b) / pick(m.a)).toFixed(2)).join(" ")}`;
  // deno-lint-ignore no-console
  console.log(
    [
      `A = ${new URL("../main.ts", import.meta.url).pathname}, B = ${other}; ` +
      `${connections} connections, ${rounds} rounds of ${ROUND_S} s each (medians)`,
      line("CPU µs per request", (x) => x.cpuUs),
      line("requests/s", (x) => x.rps),
      line("p50 ms", (x) => x.p50Ms, 3),
    ].join("\n"),
  );
} finally {
  await Promise.allSettled(started.map((gateway) => gateway.close()));
  await fake.close();
  await Deno.remove(dir, { recursive: true });
}
