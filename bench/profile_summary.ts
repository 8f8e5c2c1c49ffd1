// Reads a V8 .cpuprofile (what `deno run --cpu-prof` writes) and tells where the time went:
// the functions with most self time, the most inclusive ones among the project's own code, and
// totals per area (the project, npm packages, Deno's runtime, GC, idle). Used by `deno task bench
// --cpu-prof`, and alone: `deno run --allow-read bench/profile_summary.ts <file.cpuprofile>`.

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Sampled time less "(idle)"; the shares below are of this. */
  busyMs: number;
  areas: { area: string; ms: number; share: number }[];
  self: { name: string; ms: number; share: number }[];
  inclusive: { name: string; ms: number; share: number }[];
  /** Each sample charged to the innermost gateway function on its stack: what that line costs. */
  nearest: { name: string; ms: number; share: number }[];
}

const ROOT = new URL("../", import.meta.url).href;

/** Where a frame's code lives, for the per-area totals. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") {
    if (functionName === "(garbage collector)") return "garbage collector";
    if (functionName === "(idle)") return "idle";
    if (functionName === "(program)") return "V8/native (program)";
    return "native";
  }
  if (url.startsWith(ROOT + "lib/") || url.startsWith(ROOT + "routes/")) return "gateway code";
  if (url.startsWith(ROOT)) return "project, other";
  if (url.includes("/npm/")) return "npm packages";
  if (url.startsWith("ext:") || url.startsWith("node:")) return "Deno runtime (ext:)";
  return "other";
}

/** `function file:line`, with the project's files relative to it and npm packages short. */
export function nameOf(frame: CallFrame): string {
  const where = frame.url.startsWith(ROOT)
    ? frame.url.slice(ROOT.length)
    : frame.url.replace(/^.*\/npm\/registry\.npmjs\.org\//, "npm:");
  const fn = frame.functionName || "(anonymous)";
  return where ? `${fn} ${where}:${frame.lineNumber + 1}` : fn;
}

/** Self and inclusive time per function, and per area. */
export function summarize(profile: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  const nearest = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample's weight is the time until the next one.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]);
    if (node === undefined) continue;
    total += ms;
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const name = nameOf(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + ms);
    const seen = new Set<string>();
    let charged = false;
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (areaOf(frame) !== "gateway code") continue;
      const key = nameOf(frame);
      if (!charged) {
        charged = true;
        nearest.set(key, (nearest.get(key) ?? 0) + ms);
      }
      // A recursive function counts once per sample.
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
    if (!charged) {
      const outside = `(no gateway frame) ${area}`;
      nearest.set(outside, (nearest.get(outside) ?? 0) + ms);
    }
  }
  // Idle is when V8 runs no JavaScript: the event loop waiting, but also Deno's Rust side
  // (hyper, rustls) doing I/O on the same thread, which the sampler cannot see into.
  const busy = total - (areas.get("idle") ?? 0);
  const rank = (map: Map<string, number>, n: number) =>
    [...map].filter(([name]) => name !== "(idle)" && !name.endsWith(" idle")).sort((a, b) =>
      b[1] - a[1]
    ).slice(0, n)
      .map(([name, ms]) => ({ name, ms, share: ms / busy }));
  return {
    totalMs: total,
    busyMs: busy,
    areas: rank(areas, 20).map(({ name, ms, share }) => ({ area: name, ms, share })),
    self: rank(self, top),
    inclusive: rank(inclusive, top),
    nearest: rank(nearest, top),
  };
}

/** The summary as text lines. */
export function formatSummary(summary: ProfileSummary): string[] {
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  const row = (label: string, ms: number, share: number) =>
    `  ${pct(share)} ${ms.toFixed(0).padStart(7)} ms  ${label}`;
  return [
    `profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ` +
    `${(summary.busyMs / 1000).toFixed(1)} s running JavaScript or V8 (shares are of that; ` +
    "the rest is idle or Deno's Rust I/O, which the sampler does not see)",
    "by area:",
    ...summary.areas.map((a) => row(a.area, a.ms, a.share)),
    "top self time:",
    ...summary.self.map((s) => row(s.name, s.ms, s.share)),
    "gateway functions, inclusive time:",
    ...summary.inclusive.map((s) => row(s.name, s.ms, s.share)),
    "charged to the innermost gateway function on the stack (its own code and what it calls):",
    ...summary.nearest.map((s) => row(s.name, s.ms, s.share)),
  ];
}

/** Reads a .cpuprofile file. */
export async function readProfile(path: string): Promise<CpuProfile> {
  return JSON.parse(await Deno.readTextFile(path)) as CpuProfile;
}

if (import.meta.main) {
  const path = Deno.args[0];
  if (path === undefined) {
    // deno-lint-ignore no-console
    console.error("usage: deno run --allow-read bench/profile_summary.ts <file.cpuprofile>");
    Deno.exit(2);
  }
  // deno-lint-ignore no-console
  console.log(formatSummary(summarize(await readProfile(path), 30)).join("\n"));
}
