// `deno task bench:alloc [<checkout>/main.ts] [connections] [seconds]`: what one non-stream
// request allocates on the gateway's JavaScript heap, and where. The gateway runs under wrk
// load with V8's sampling heap profiler on (through the inspector, on loopback), counting
// every allocation, including what the next scavenge frees at once. Unlike CPU time on this
// machine, whose figures drift by ±20% between runs, the bytes per request repeat within a few
// per cent, so a change that allocates less shows as such (bench/README.md). Allocation is what
// drives the scavenges, a share of the CPU per request. Not a test: it prints figures.
import { V8_FLAGS } from "../deploy/compile.ts";
import { freePort } from "../tests/helpers/free_port.ts";
import { Inspector } from "./inspector.ts";
import { runWrk } from "./native_load.ts";
import { areaOf, type CallFrame, nameOf } from "./profile_summary.ts";
import {
  BASELINE_PROXY,
  type GatewayProcess,
  startFakeUpstream,
  startGateway,
} from "./processes.ts";

/** A node of V8's sampling heap profile (HeapProfiler.stopSampling). */
interface SamplingNode {
  callFrame: CallFrame;
  selfSize: number;
  children: SamplingNode[];
}

const [program = "main.ts", connectionsArg = "64", secondsArg = "5"] = Deno.args;
const connections = Number(connectionsArg);
const seconds = Number(secondsArg);

const fake = await startFakeUpstream(5, 2_000);
const dir = await Deno.makeTempDir({ prefix: "gigachat-alloc-" });
let gateway: GatewayProcess | undefined;
try {
  await Deno.writeTextFile(`${dir}/ca.pem`, fake.info.caPem);
  const inspectPort = freePort();
  const inspect = `--inspect=127.0.0.1:${inspectPort}`;
  // "baseline" and "js_proxy" profile bench/baseline_proxy.ts, for comparison.
  const floor = program === "baseline" || program === "js_proxy";
  const other = (path: string) => new URL(path, `file://${Deno.cwd()}/`).pathname;
  gateway = await startGateway({
    upstream: fake.info.fast,
    cwd: dir,
    ...(floor
      ? { main: BASELINE_PROXY, env: program === "js_proxy" ? { BASELINE_JS: "1" } : {} }
      : { main: other(program), config: other(program.replace(/main\.ts$/, "deno.json")) }),
    // The gateway runs with the flags `deno task start` gives it; the proxies without.
    denoFlags: floor ? [inspect] : [inspect, V8_FLAGS],
  });
  const load = (durationS: number) =>
    runWrk({
      url: `${gateway!.origin}/v1/chat/completions`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "GigaChat", messages: [{ role: "user", content: "Hello" }] }),
      connections,
      durationS,
    }, dir);
  const inspector = await Inspector.connect(inspectPort);
  try {
    // Warm-up: connections, compilation, the token.
    await load(2);
    await inspector.call("HeapProfiler.enable");
    await inspector.call("HeapProfiler.startSampling", {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const measured = await load(seconds);
    const { profile } = await inspector.call("HeapProfiler.stopSampling") as {
      profile: { head: SamplingNode };
    };
    say(report(profile.head, measured.ok));
  } finally {
    inspector.close();
  }
} finally {
  await gateway?.close();
  await fake.close();
  await Deno.remove(dir, { recursive: true });
}

/** Bytes per request in total, by allocating function, and by the innermost gateway frame. */
function report(head: SamplingNode, requests: number): string {
  const self = new Map<string, number>();
  const nearest = new Map<string, number>();
  let total = 0;
  const walk = (node: SamplingNode, gatewayFrame: string | undefined) => {
    const name = nameOf(node.callFrame);
    const frame = areaOf(node.callFrame) === "gateway code" ? name : gatewayFrame;
    if (node.selfSize > 0) {
      total += node.selfSize;
      self.set(name, (self.get(name) ?? 0) + node.selfSize);
      const key = frame ?? "(no gateway frame: Deno's server, fetch, promises)";
      nearest.set(key, (nearest.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, frame);
  };
  walk(head, undefined);
  const top = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([name, bytes]) =>
      `  ${(bytes / requests).toFixed(0).padStart(7)} B  ${name}`
    );
  return [
    `${program}: ${requests} requests at ${connections} connections; ` +
    `${(total / requests).toFixed(0)} bytes allocated per request (sampled every 1 KiB)`,
    "by allocating function:",
    ...top(self),
    "by the innermost gateway function on the stack:",
    ...top(nearest),
  ].join("\n");
}

function say(text: string): void {
  // deno-lint-ignore no-console
  console.log(text);
}
