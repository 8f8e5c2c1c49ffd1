// The fake's /chat/completions: checks a request the way the reference says GigaChat wants it
// (string contents, one leading system message, object arguments, JSON-object function results,
// temperature > 0, forced functions listed; read strictly, so mapping mistakes show) and
// answers in GigaChat's own shape (API-chat.md §2–§5): no `id`, a versioned `model`, function
// arguments as an object, stream chunks with object "chat.completion" and usage only in the last.
import { type FakeHost, OLD_HOST, REASONING_MODELS, versionedName } from "./hosts.ts";

/** A scripted answer for the next chat request. */
export interface ChatScript {
  content?: string;
  functionCall?: { name: string; arguments: Record<string, unknown> };
  functionsStateId?: string;
  finishReason?: string;
  /** Stream only: the content split into these pieces (default: a few words each). */
  pieces?: string[];
  /** Reasoning text, sent as `reasoning_content` before the content (reasoning models). */
  reasoning?: string;
  /** Send the reasoning inline, as `<think>…</think>` at the start of the content, instead. */
  reasoningInline?: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number; precached_prompt_tokens?: number };
}

export type ChatOutcome =
  | { kind: "error"; status: number; body: unknown }
  | { kind: "json"; body: unknown }
  | { kind: "stream"; events: string[] };

const ROLES = new Set(["system", "user", "assistant", "function"]);

interface Message {
  role?: unknown;
  content?: unknown;
  name?: unknown;
  function_call?: { name?: unknown; arguments?: unknown };
}

/** Answers one chat request body (already parsed JSON). */
export function answerChat(
  body: unknown,
  script: ChatScript | undefined,
  fileExists: (id: string) => boolean = () => false,
  host: FakeHost = OLD_HOST,
  /** With `n` > 1 (non-stream): the text of choices 1, 2, ... */
  moreChoices: readonly (string | undefined)[] = [],
): ChatOutcome {
  const problem = validate(body, fileExists, host);
  if (problem !== undefined) return problem;
  const request = body as {
    model: string;
    messages: Message[];
    stream?: boolean;
    functions?: { name: string; parameters?: Record<string, unknown> }[];
    function_call?: unknown;
    reasoning_effort?: string;
  };
  const scripted = script ?? defaultScript(request);
  // A reasoning model reasons unless told "none" (HOSTS-AND-MODELS.md §Reasoning).
  const reasons = REASONING_MODELS.has(request.model) && request.reasoning_effort !== "none";
  const answer: ChatScript = reasons && scripted.reasoning === undefined
    ? { ...scripted, reasoning: "The user wrote to me; a short, friendly answer fits." }
    : scripted;
  const inline = answer.reasoning !== undefined && answer.reasoningInline === true;
  const content = inline
    ? `<think>${answer.reasoning}</think>\n${answer.content ?? ""}`
    : answer.content ?? "";
  const reasoning = answer.reasoning !== undefined && !inline
    ? { reasoning_content: answer.reasoning }
    : {};
  const created = Math.floor(Date.now() / 1000);
  const model = versionedName(request.model);
  const usage = {
    prompt_tokens: answer.usage?.prompt_tokens ?? 17,
    completion_tokens: answer.usage?.completion_tokens ?? 3,
    total_tokens: (answer.usage?.prompt_tokens ?? 17) + (answer.usage?.completion_tokens ?? 3),
    precached_prompt_tokens: answer.usage?.precached_prompt_tokens ?? 2,
  };
  const finish = answer.finishReason ?? (answer.functionCall ? "function_call" : "stop");
  const call = answer.functionCall
    ? {
      function_call: answer.functionCall,
      functions_state_id: answer.functionsStateId ?? crypto.randomUUID(),
    }
    : {};
  if (request.stream !== true) {
    return {
      kind: "json",
      body: {
        choices: [
          {
            message: { content, role: "assistant", ...reasoning, ...call },
            index: 0,
            finish_reason: finish,
          },
          ...moreChoices.map((text, i) => ({
            message: { content: text ?? content, role: "assistant" },
            index: i + 1,
            finish_reason: "stop",
          })),
        ],
        created,
        model,
        object: "chat.completion",
        usage,
      },
    };
  }
  const chunk = (delta: Record<string, unknown>, last: boolean) =>
    JSON.stringify({
      choices: [{ delta, index: 0, ...(last ? { finish_reason: finish } : {}) }],
      created,
      model,
      object: "chat.completion",
      ...(last ? { usage } : {}),
    });
  if (answer.functionCall) {
    // A function call arrives whole, in one chunk that also finishes the stream (§5).
    return {
      kind: "stream",
      events: [chunk({ content: "", role: "assistant", ...call }, true), "[DONE]"],
    };
  }
  // Reasoning pieces come before the content's (§5); inline, the tags are cut across pieces.
  const thinking = answer.reasoning !== undefined && !inline
    ? splitWords(answer.reasoning).map((piece) => ({ reasoning_content: piece }))
    : [];
  const pieces = answer.pieces ?? (inline ? splitEvery(content, 5) : splitWords(content));
  const deltas = [...thinking, ...pieces.map((piece) => ({ content: piece }))];
  const events = deltas.map((delta, i) =>
    chunk(i === 0 ? { ...delta, role: "assistant" } : delta, false)
  );
  events.push(chunk({ content: "" }, true), "[DONE]");
  return { kind: "stream", events };
}

function validate(
  body: unknown,
  fileExists: (id: string) => boolean,
  host: FakeHost,
): ChatOutcome | undefined {
  const fail = (status: number, message: string): ChatOutcome => ({
    kind: "error",
    status,
    body: { status, message },
  });
  if (typeof body !== "object" || body === null) return fail(400, "Invalid JSON");
  const request = body as Record<string, unknown>;
  if (typeof request.model !== "string" || !host.chatModels.has(request.model)) {
    return fail(404, "No such model");
  }
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    return fail(422, "messages: must not be empty");
  }
  for (const [i, m] of (request.messages as Message[]).entries()) {
    if (!ROLES.has(String(m.role))) return fail(422, `messages[${i}].role: unknown role`);
    if (typeof m.content !== "string") return fail(422, `messages[${i}].content: must be a string`);
    if (m.role === "function" && typeof m.name !== "string") {
      return fail(422, `messages[${i}].name: required for function messages`);
    }
    if (m.role === "function") {
      try {
        const result: unknown = JSON.parse(m.content);
        if (typeof result !== "object" || result === null || Array.isArray(result)) throw 0;
      } catch {
        return fail(422, `messages[${i}].content: function result must be a JSON object`);
      }
    }
    const attachments = (m as { attachments?: unknown }).attachments;
    if (attachments !== undefined) {
      if (m.role !== "user" || !Array.isArray(attachments)) {
        return fail(422, `messages[${i}].attachments: only user messages carry attachments`);
      }
      for (const id of attachments) {
        if (typeof id !== "string" || !fileExists(id)) {
          return fail(404, `messages[${i}].attachments: no file ${id}`);
        }
      }
    }
    const call = m.function_call;
    if (call !== undefined && (typeof call.arguments !== "object" || call.arguments === null)) {
      return fail(422, `messages[${i}].function_call.arguments: must be an object`);
    }
  }
  for (const [i, m] of (request.messages as Message[]).entries()) {
    if (m.role === "system" && i !== 0) return fail(422, "system message must be first");
  }
  const effort = request.reasoning_effort;
  if (effort !== undefined && !["none", "low", "medium", "high"].includes(String(effort))) {
    return fail(422, "reasoning_effort: must be low, medium or high");
  }
  if (typeof request.temperature === "number" && request.temperature <= 0) {
    return fail(422, "temperature: must be greater than 0");
  }
  const functions = Array.isArray(request.functions) ? request.functions : [];
  const forced = request.function_call;
  if (typeof forced === "object" && forced !== null) {
    const name = (forced as { name?: unknown }).name;
    if (!functions.some((fn: { name?: unknown }) => fn.name === name)) {
      return fail(422, "function_call: the forced function is not in functions");
    }
  }
  return undefined;
}

function defaultScript(request: {
  messages: Message[];
  functions?: { name: string; parameters?: Record<string, unknown> }[];
  function_call?: unknown;
}): ChatScript {
  const forced = request.function_call;
  if (typeof forced === "object" && forced !== null) {
    const name = String((forced as { name: unknown }).name);
    const fn = request.functions?.find((candidate) => candidate.name === name);
    return {
      functionCall: { name, arguments: exampleOf(fn?.parameters) as Record<string, unknown> },
    };
  }
  const last = [...request.messages].reverse().find((m) => m.role === "user");
  const asked = typeof last?.content === "string" ? last.content : "";
  return {
    content: `This is a simulated GigaChat answer. You said: "${asked.slice(0, 200)}".`,
  };
}

/** A value that satisfies a (sanitised) JSON schema: required fields filled, first enum value. */
export function exampleOf(schema: Record<string, unknown> | undefined): unknown {
  if (schema === undefined) return {};
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (schema.type) {
    case "string":
      return "example";
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    case "array":
      return [exampleOf(schema.items as Record<string, unknown> | undefined)];
    default: {
      const out: Record<string, unknown> = {};
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [name, child] of Object.entries(properties)) out[name] = exampleOf(child);
      return out;
    }
  }
}

export function splitEvery(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces.length > 0 ? pieces : [""];
}

export function splitWords(text: string): string[] {
  const words = text.split(/(?<= )/);
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += 3) pieces.push(words.slice(i, i + 3).join(""));
  return pieces.length > 0 ? pieces : [""];
}
