/**
 * Sends one chat turn through OpenClaw's own transport (`@openclaw/ai`:
 * `createOpenAICompletionsTransportStreamFn`, or the Responses one for `api: "openai-responses"`): OpenClaw builds the request, sends it with its
 * openai client, and parses the stream into its content blocks (thinking, text, tool calls).
 * Run by ../openclaw_stream_test.ts as
 * `deno run --node-modules-dir=manual ... stream_turn.ts <package dir> <turn.json> <result.json>`
 * with the install folder as working folder.
 */
import { pathToFileURL } from "node:url";

/** What to send: a model entry as in openclaw.json, the gateway's URL and key, the prompt. */
export interface StreamTurn {
  baseUrl: string;
  apiKey: string;
  /** A model entry, with the provider's `api` (openai-completions, -responses, google-...). */
  model: Record<string, unknown> & { id: string; api: string };
  prompt: string;
  /** OpenClaw's thinking level (`low`, `medium`, `high`, ...). */
  reasoning?: string;
}

/** What OpenClaw made of the answer. */
export interface StreamTurnResult {
  /** The final message's content blocks, as OpenClaw keeps them. */
  content: { type: string; text?: string; thinking?: string }[];
  stopReason: string | undefined;
  errorMessage: string | undefined;
  /** The event types, in order. */
  events: string[];
}

type StreamFn = (
  model: Record<string, unknown>,
  context: Record<string, unknown>,
  options: Record<string, unknown>,
) => AsyncIterable<Record<string, unknown>> | Promise<AsyncIterable<Record<string, unknown>>>;

const [aiDir, turnFile, resultFile] = Deno.args;
const transports = await import(pathToFileURL(`${aiDir}/dist/transports.mjs`).href);
const turn: StreamTurn = JSON.parse(await Deno.readTextFile(turnFile));
// The transport OpenClaw picks for the provider's api; Google's is the provider registry's.
const factory = turn.model.api === "openai-responses"
  ? "createOpenAIResponsesTransportStreamFn"
  : "createOpenAICompletionsTransportStreamFn";
const create = turn.model.api === "google-generative-ai"
  ? await googleStreamFn()
  : transports[factory] as () => StreamFn;
if (typeof create !== "function") {
  throw new Error(`@openclaw/ai has no ${factory}: its layout changed`);
}

/** The built-in `google-generative-ai` provider's stream, from OpenClaw's registry. */
async function googleStreamFn(): Promise<() => StreamFn> {
  const providers = await import(pathToFileURL(`${aiDir}/dist/providers.mjs`).href);
  const registered = new Map<string, { streamSimple: StreamFn }>();
  providers.registerBuiltInApiProviders({
    registerApiProvider: (provider: { api: string; streamSimple: StreamFn }) =>
      registered.set(provider.api, provider),
  });
  const google = registered.get("google-generative-ai");
  if (google === undefined) throw new Error("@openclaw/ai registers no google-generative-ai");
  return () => google.streamSimple;
}
const model = {
  provider: "gigachat",
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  ...turn.model,
  baseUrl: turn.baseUrl,
};
const stream = await create()(
  model,
  { messages: [{ role: "user", content: turn.prompt, timestamp: Date.now() }] },
  { apiKey: turn.apiKey, ...(turn.reasoning ? { reasoning: turn.reasoning } : {}) },
);
const events: string[] = [];
let final: Record<string, unknown> | undefined;
for await (const event of stream) {
  events.push(String(event.type));
  if (event.type === "done") final = event.message as Record<string, unknown>;
  if (event.type === "error") final = event.error as Record<string, unknown>;
}
const result: StreamTurnResult = {
  content: (final?.content ?? []) as StreamTurnResult["content"],
  stopReason: final?.stopReason as string | undefined,
  errorMessage: final?.errorMessage as string | undefined,
  events,
};
await Deno.writeTextFile(resultFile, JSON.stringify(result));
