import type { GigaChatChunk, GigaChatUsage } from "../gigachat/types.ts";
import {
  type OpenAIChatCompletionChunk,
  type OpenAIChunkChoice,
  type OpenAIFinishReason,
  STOP_SEQUENCE,
} from "../openai/types.ts";
import { mapGigaChatFinishReason } from "./map_gigachat_finish_reason.ts";
import { StopCutter } from "./stop_cutter.ts";
import { ThinkSplitter } from "./think_splitter.ts";
import type { ChatPlan } from "./to_gigachat_request.ts";
import type { ResponseIds } from "./to_openai_completion.ts";
import { toLegacyFunctionChunkChoice } from "./to_legacy_function_call.ts";
import { toOpenAIToolCall } from "./to_openai_tool_call.ts";
import { toOpenAIUsage } from "./to_openai_usage.ts";
import { toImageOutputs, toUrlCitations } from "./to_openai_annotations.ts";

interface ChoiceState {
  /** The text sent so far, kept only when the answer may cite sources (web search). */
  text?: string;
  sources?: Record<string, { url?: string; title?: string }>;
  started: boolean;
  finished: boolean;
  toolCalls: number;
  cutter: StopCutter;
  think: ThinkSplitter;
}

/**
 * GigaChat stream chunks → OpenAI chunks (API-chat.md §5), one upstream chunk at a time, so
 * the route forwards each as soon as it arrives. GigaChat's quirks are absorbed here: `object`
 * "chat.completion" and no `id` in chunks, a whole function call in one delta, usage only in the
 * last chunk. Every chunk shares one id and `created`; `finish_reason` appears once per choice,
 * on its last chunk; usage follows in a `choices: []` chunk when the client asked for it.
 */
export class ChatChunkMapper {
  readonly #plan: ChatPlan;
  readonly #ids: ResponseIds;
  readonly #choices = new Map<number, ChoiceState>();
  #usage: GigaChatUsage | undefined;
  #fingerprint: string | undefined;
  #cutEarly = false;

  constructor(plan: ChatPlan, ids: ResponseIds) {
    this.#plan = plan;
    this.#ids = ids;
  }

  /** The opening chunk, sent before GigaChat says anything: the assistant role. */
  start(): OpenAIChatCompletionChunk {
    this.#state(0).started = true;
    return this.#chunk([choice(0, { role: "assistant", content: "" })]);
  }

  /** The OpenAI chunks for one GigaChat chunk (none when it carries nothing to say). */
  map(upstream: GigaChatChunk): OpenAIChatCompletionChunk[] {
    if (upstream.usage) this.#usage = upstream.usage;
    if (typeof upstream.model === "string") this.#fingerprint ??= upstream.model;
    const out: OpenAIChunkChoice[] = [];
    (upstream.choices ?? []).forEach((c, position) => {
      const index = c.index ?? position;
      const state = this.#state(index);
      if (state.finished) return;
      const delta = c.delta ?? {};
      // The role goes on the first chunk this choice sends.
      let role: { role?: "assistant" } = state.started ? {} : { role: "assistant" };
      state.started = true;
      const takeRole = () => {
        const taken = role;
        role = {};
        return taken;
      };
      const call = delta.function_call;
      let reason: OpenAIFinishReason | undefined;
      // Reasoning goes out as it comes, ahead of the content and never inside it: GigaChat's
      // own field, or a leading <think> block split off the content.
      const split = delta.content ? state.think.push(delta.content) : NO_TEXT;
      const reasoning = (delta.reasoning_content ?? "") + split.reasoning;
      if (reasoning) out.push(choice(index, { ...takeRole(), reasoning_content: reasoning }));
      // No answer-function branch here: a JSON answer is checked whole before it is sent, so
      // it never reaches the client through this mapper (structured_output.ts replays it).
      if (call !== undefined) {
        const toolCall = toOpenAIToolCall(delta, this.#plan.names);
        if (toolCall !== undefined) {
          out.push(
            choice(index, {
              ...takeRole(),
              tool_calls: [{ index: state.toolCalls++, ...toolCall }],
            }),
          );
        }
      } else if (split.content) {
        const cut = state.cutter.push(split.content);
        if (state.text !== undefined) state.text += cut.text;
        if (cut.text || role.role) out.push(choice(index, { ...takeRole(), content: cut.text }));
        if (cut.stopped) reason = "stop";
      }
      // Sources may come with any delta, before or after the text citing them: they are kept,
      // and their citations go out with the finish, when the whole text is known.
      if (delta.sources !== undefined) state.sources = { ...state.sources, ...delta.sources };
      const images = toImageOutputs(delta.files);
      if (images.length > 0) out.push(choice(index, { ...takeRole(), images }));
      if (reason === undefined && c.finish_reason !== undefined) {
        const held = state.think.flush();
        if (held.reasoning) out.push(choice(index, { reasoning_content: held.reasoning }));
        const rest = state.cutter.push(held.content).text + state.cutter.flush();
        if (state.text !== undefined) state.text += rest;
        if (rest) out.push(choice(index, { content: rest }));
        reason = mapGigaChatFinishReason(c.finish_reason);
        if (reason === "tool_calls" && state.toolCalls === 0) reason = "stop";
      }
      if (reason !== undefined) {
        state.finished = true;
        const annotations = toUrlCitations(state.text ?? "", state.sources);
        if (annotations.length > 0) out.push(choice(index, { ...takeRole(), annotations }));
        const matched = state.cutter.matched;
        out.push({
          ...choice(index, {}),
          finish_reason: reason,
          ...(matched === undefined ? {} : { [STOP_SEQUENCE]: matched }),
        });
        // Cut at a stop sequence before GigaChat finished: its last chunk, with the usage,
        // is still to come, and is read (nothing of its text is sent).
        if (matched !== undefined && c.finish_reason === undefined) this.#cutEarly = true;
      }
    });
    // One choice entry per chunk, as OpenAI sends them: clients read `choices[0]`.
    return out.map((entry) =>
      this.#chunk([this.#plan.legacyFunctions ? toLegacyFunctionChunkChoice(entry) : entry])
    );
  }

  /**
   * True while an answer cut at a stop sequence waits for GigaChat's last chunk: its usage is
   * what the answer cost, and a stream ends only once it has come (or GigaChat's stream ends).
   */
  get awaitingUsage(): boolean {
    return this.#cutEarly && this.#usage === undefined;
  }

  /** The usage GigaChat reported, once its last chunk came. */
  get usage(): GigaChatUsage | undefined {
    return this.#usage;
  }

  /** How many choices have had their finish_reason. */
  get finishedChoices(): number {
    return [...this.#choices.values()].filter((state) => state.finished).length;
  }

  /** True once every choice that appeared has its finish_reason. */
  get complete(): boolean {
    return [...this.#choices.values()].every((state) => state.finished);
  }

  /** The closing chunks: usage (if asked for), after the last choice chunk. */
  finish(): OpenAIChatCompletionChunk[] {
    if (!this.#plan.includeUsage) return [];
    return [{ ...this.#chunk([]), usage: toOpenAIUsage(this.#usage) }];
  }

  #state(index: number): ChoiceState {
    let state = this.#choices.get(index);
    if (state === undefined) {
      state = {
        started: false,
        finished: false,
        toolCalls: 0,
        cutter: new StopCutter(this.#plan.stop),
        think: new ThinkSplitter(),
        ...(this.#plan.citations ? { text: "" } : {}),
      };
      this.#choices.set(index, state);
    }
    return state;
  }

  #chunk(choices: OpenAIChunkChoice[]): OpenAIChatCompletionChunk {
    const chunk: OpenAIChatCompletionChunk = {
      id: this.#ids.id,
      object: "chat.completion.chunk",
      created: this.#ids.created,
      model: this.#plan.requestedModel,
      choices,
    };
    if (this.#fingerprint !== undefined) chunk.system_fingerprint = this.#fingerprint;
    if (this.#plan.includeUsage) chunk.usage = null;
    return chunk;
  }
}

const NO_TEXT = { reasoning: "", content: "" };

function choice(index: number, delta: OpenAIChunkChoice["delta"]): OpenAIChunkChoice {
  return { index, delta, logprobs: null, finish_reason: null };
}
