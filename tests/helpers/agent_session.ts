// Long agent sessions (issue #24): what a real agent CLI sent through the gateway, turn by turn,
// with the fake GigaChat's scripted answer to each, kept as a fixture and replayed in CI on both
// backends. Each turn re-sends the whole history, so repeated values are stored once.
import type { ChatScript } from "../../fake_gigachat/chat.ts";

/** One request the client made, and what the fake answered to it. */
export interface SessionTurn {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** The fake's scripted answer; null when it answered unscripted. */
  script: ChatScript | null;
  /** Why a turn was made by hand from a recorded one, when it was. */
  derived?: string;
}

/** A session as stored: large values that recur are kept once in `shared` and referenced. */
export interface SessionFixture {
  client: string;
  note: string;
  shared: unknown[];
  turns: SessionTurn[];
}

/** Headers worth replaying (never the key). */
const KEPT_HEADERS = [
  "accept",
  "content-type",
  "anthropic-version",
  "anthropic-beta",
];
/** Values shorter than this stay inline. */
const SHARE_FROM = 400;
const REF = "$shared:";

/** Records the chat requests a client sends (other paths are not part of a session). */
export class SessionRecorder {
  readonly turns: Omit<SessionTurn, "script">[] = [];
  readonly #paths: readonly string[];

  /** `paths`: how the chat paths end (`/v1/responses`, `:streamGenerateContent`). */
  constructor(paths: readonly string[]) {
    this.#paths = paths;
  }

  /** The stack's `onRequest` hook. */
  readonly onRequest = async (request: Request): Promise<void> => {
    const url = new URL(request.url);
    if (request.method !== "POST" || !this.#paths.some((end) => url.pathname.endsWith(end))) {
      return;
    }
    // The query too: Gemini's `?alt=sse` says how to stream.
    const path = url.pathname + url.search;
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = request.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    this.turns.push({ path, headers, body: await request.json() });
  };
}

/** Stores values of at least SHARE_FROM characters once: top-level fields and list items. */
export function packSession(
  client: string,
  note: string,
  turns: readonly SessionTurn[],
): SessionFixture {
  const shared: unknown[] = [];
  const index = new Map<string, number>();
  const share = (value: unknown): unknown => {
    const text = JSON.stringify(value);
    if (text === undefined || text.length < SHARE_FROM) return value;
    let at = index.get(text);
    if (at === undefined) {
      at = shared.push(value) - 1;
      index.set(text, at);
    }
    return `${REF}${at}`;
  };
  const packed = turns.map((turn) => {
    const body: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(turn.body)) {
      body[key] = Array.isArray(value) ? value.map(share) : share(value);
    }
    return { ...turn, body };
  });
  return { client, note, shared, turns: packed };
}

/** The turns with every shared value put back. */
export function unpackSession(fixture: SessionFixture): SessionTurn[] {
  const resolve = (value: unknown): unknown =>
    typeof value === "string" && value.startsWith(REF)
      ? structuredClone(fixture.shared[Number(value.slice(REF.length))])
      : value;
  return fixture.turns.map((turn) => {
    const body: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(turn.body)) {
      body[key] = Array.isArray(value) ? value.map(resolve) : resolve(value);
    }
    return { ...turn, body };
  });
}

/** A one-pixel PNG: an image file for the agents' image tools. */
export const PIXEL_PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (char) => char.charCodeAt(0),
);
