// Send-time stamps for stream chunks, shared by the fake upstream (which writes them) and the
// client (which reads them). They run in separate processes on one machine, so the clock must be
// a wall clock with sub-millisecond resolution: `performance.timeOrigin` plus the monotonic
// `performance.now()`. A fixed offset between two processes' origins cancels out, because the
// bench reports the gateway's gap minus the direct gap, both measured by the same two processes.

/** Put into the fake's chunk content; replaced with the send time as the chunk is written. */
export const SEND_MARKER = "@@SENT@@";

/** Milliseconds since the epoch, with microsecond resolution. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The text a marker becomes when its chunk is written. */
export function stampNow(): string {
  return `@@${wallClockMs().toFixed(3)}@@`;
}

/** The send times stamped into a piece of SSE text. */
export function sendStamps(text: string): number[] {
  return [...text.matchAll(/@@(\d+\.\d+)@@/g)].map((match) => Number(match[1]));
}

/** What `bench/fake_upstream.ts` prints as its one JSON line once both fakes listen. */
export interface FakeUpstreamInfo {
  /** Chunks a few milliseconds apart: latency, streaming and request-count figures. */
  fast: FakeUrls;
  /** Chunks seconds apart, so that streams stay open for the memory figure. */
  slow: FakeUrls;
  /** The throw-away CA both fakes' certificate chains to. */
  caPem: string;
  /** Plain-HTTP control endpoint of the fake process; `GET /stats` answers {@linkcode FakeStats}. */
  controlUrl: string;
}

export interface FakeUrls {
  apiUrl: string;
  authUrl: string;
}

/** Counters of both fakes. */
export interface FakeStats {
  fast: FakeCounters;
  slow: FakeCounters;
}

export interface FakeCounters {
  oauthCalls: number;
  abandonedStreams: number;
}
