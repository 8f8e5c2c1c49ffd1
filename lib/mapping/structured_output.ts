// Structured output, all of it: GigaChat has no json_object mode, and in function mode a
// json_schema answer is emulated by a forced function whose arguments are the answer. This
// module plans the request for it, checks each answer against what the client asked for,
// repairs a failed one with one more round trip, and replays a checked answer as a stream.
import type { Ajv2020, ValidateFunction } from "ajv/dist/2020";
import { GatewayError, invalidRequest } from "../errors.ts";
import type { GigaChatChatRequest, GigaChatFunction } from "../gigachat/types.ts";
import { countJsonNodes, MAX_SCHEMA_VALUES } from "../http/json_limits.ts";
import { LruCache } from "../lru_cache.ts";
import type { ResponseFormat } from "../openai/chat_request.ts";
import {
  type OpenAIChatCompletion,
  type OpenAIChatCompletionChunk,
  type OpenAIUsage,
  STOP_SEQUENCE,
} from "../openai/types.ts";
import { sanitizeJsonSchema } from "./sanitize_json_schema.ts";
import { isBuiltInFunctionName } from "./tool_names.ts";

/** What a JSON answer must be: any JSON object, or an instance of the client's schema. */
export type JsonExpectation =
  | { kind: "json_object" }
  | { kind: "json_schema"; schema: Record<string, unknown> };

export type JsonCheck = { ok: true } | { ok: false; problem: string };

/** What a request's structured output needs from the answer's mapping. */
export interface StructuredPlan {
  /** Upstream function whose arguments are the answer (json_schema emulation). */
  answerFunction?: string;
  /** What the final answer must be, when the client set a JSON response_format. */
  jsonAnswer?: JsonExpectation;
}

/** The instruction that turns on JSON mode, GigaChat having no `json_object` format. */
export const JSON_OBJECT_INSTRUCTION =
  "Answer with one valid JSON object only: no prose, no Markdown code fences.";

/**
 * Plans a JSON response_format into GigaChat's request (API-chat.md §4, API-more.md): in
 * function mode a forced answer function is added to `functions` (renamed away from built-ins
 * and the client's tools), in native mode GigaChat's own `response_format`; `json_object` gets
 * an instruction in the system message. Changes `body` and `functions` in place.
 * @throws {GatewayError} 400 for a schema too large to check answers against.
 */
export function planStructuredOutput(
  format: ResponseFormat | null | undefined,
  body: GigaChatChatRequest,
  functions: GigaChatFunction[],
  mode: "function" | "native",
): StructuredPlan {
  const plan: StructuredPlan = {};
  if (format?.type === "json_schema") {
    const schema = format.json_schema.schema ?? { type: "object", properties: {} };
    // The schema itself is compiled to check the answer, so its size is bounded as a tool's is.
    if (countJsonNodes(schema, MAX_SCHEMA_VALUES) > MAX_SCHEMA_VALUES) {
      throw invalidRequest(
        `response_format.json_schema.schema: the JSON schema is too large (more than ` +
          `${MAX_SCHEMA_VALUES} values); simplify it.`,
        "response_format.json_schema.schema",
        "schema_too_complex",
      );
    }
    plan.jsonAnswer = { kind: "json_schema", schema };
    if (mode === "native") {
      body.response_format = {
        type: "json_schema",
        schema,
        ...(format.json_schema.strict ? { strict: true } : {}),
      };
    } else {
      // Renamed like a client tool when it is a built-in's name, which GigaChat would run.
      let name = isBuiltInFunctionName(format.json_schema.name)
        ? `user_${format.json_schema.name}`
        : format.json_schema.name;
      while (functions.some((fn) => fn.name === name)) name = `${name}_answer`;
      functions.push({
        name,
        description: format.json_schema.description ??
          "Give the final answer to the user in this structure.",
        parameters: sanitizeJsonSchema(schema, "response_format.json_schema.schema"),
      });
      plan.answerFunction = name;
      // A call the client forced stays forced; otherwise, with tools present, the model may
      // still call them first, and the schema shapes the final answer.
      if (typeof body.function_call !== "object") {
        body.function_call = functions.length === 1 ? { name } : "auto";
      }
    }
  } else if (format?.type === "json_object") {
    plan.jsonAnswer = { kind: "json_object" };
    const first = body.messages[0];
    if (first?.role === "system") first.content = `${first.content}\n\n${JSON_OBJECT_INSTRUCTION}`;
    else body.messages.unshift({ role: "system", content: JSON_OBJECT_INSTRUCTION });
  }
  return plan;
}

// Agents send the same schema on every turn; compiling once per schema keeps it off the hot path.
const compiled = new LruCache<string, ValidateFunction | null>(200);
const FOREVER = Number.MAX_SAFE_INTEGER;

// Ajv (CommonJS, with Node's module layer behind it) adds megabytes to the gateway's RSS when
// loaded (bench/README.md), so it is loaded with the first schema to check, not at start-up.
let ajv: typeof Ajv2020 | undefined;

/**
 * Checks a model's answer against the request's response_format. A schema that the validator
 * cannot compile is not held against the answer: only JSON syntax is checked then.
 */
export async function checkJsonAnswer(
  content: string,
  expectation: JsonExpectation,
): Promise<JsonCheck> {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return { ok: false, problem: "the answer is not valid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, problem: "the answer is not a JSON object" };
  }
  if (expectation.kind === "json_object") return { ok: true };
  ajv ??= (await import("ajv/dist/2020")).Ajv2020;
  const validate = validatorFor(expectation.schema, ajv);
  if (validate === null || validate(value)) return { ok: true };
  const problems = (validate.errors ?? []).slice(0, 5).map((error) =>
    `${error.instancePath || "/"} ${error.message ?? "is invalid"}`
  );
  return { ok: false, problem: `the answer does not match the schema: ${problems.join("; ")}` };
}

function validatorFor(
  schema: Record<string, unknown>,
  Ajv: typeof Ajv2020,
): ValidateFunction | null {
  const { $schema: _ignored, ...rest } = withoutPatterns(schema) as Record<string, unknown>;
  const key = JSON.stringify(rest);
  const cached = compiled.get(key);
  if (cached !== undefined) return cached;
  let validate: ValidateFunction | null;
  try {
    // One Ajv per schema: a shared one would keep every schema forever and refuse a second
    // schema with the same $id; this way the LRU below bounds what is kept.
    validate = new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(rest);
  } catch {
    validate = null;
  }
  compiled.set(key, validate, FOREVER);
  return validate;
}

/**
 * The schema without `pattern` and `patternProperties`: a client's regular expression run on
 * the model's answer could backtrack for minutes (`^(a|a)*$`), and GigaChat cannot honour
 * patterns anyway. An object that had patternProperties also loses additionalProperties, which
 * would otherwise refuse the keys those patterns allowed.
 */
function withoutPatterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutPatterns);
  if (typeof node !== "object" || node === null) return node;
  const record = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === "pattern" && typeof value === "string") continue;
    if (key === "patternProperties") continue;
    if (key === "additionalProperties" && "patternProperties" in record) continue;
    out[key] = withoutPatterns(value);
  }
  return out;
}

/**
 * The one repair round trip for a JSON answer that failed its check: the conversation again,
 * the failed answer, and what was wrong with it. With the json_schema emulation the answer
 * function is forced this time, so tools cannot take the turn.
 */
export function toRepairRequest(
  body: GigaChatChatRequest,
  plan: StructuredPlan,
  failedAnswer: string,
  problem: string,
): GigaChatChatRequest {
  const { stream: _stream, ...rest } = body;
  const repair: GigaChatChatRequest = {
    ...rest,
    messages: [
      ...body.messages,
      { role: "assistant", content: failedAnswer },
      {
        role: "user",
        content: `Your previous answer cannot be used: ${problem}. Give the answer again, ` +
          "as JSON that follows the required structure exactly, with nothing else.",
      },
    ],
  };
  if (plan.answerFunction !== undefined) {
    repair.functions = body.functions?.filter((fn) => fn.name === plan.answerFunction);
    repair.function_call = { name: plan.answerFunction };
  }
  return repair;
}

/** What the checked path needs to call GigaChat and report a repair. */
export interface CheckedJsonCall {
  /** One non-stream completion for a GigaChat request, mapped to OpenAI's shape. */
  complete: (body: GigaChatChatRequest) => Promise<OpenAIChatCompletion>;
  onRepair: (problem: string) => void;
}

/**
 * The answer to a request with a JSON response_format, every choice checked against it
 * (schema or plain JSON object), each failed one repaired by one more round trip. A choice
 * that calls a tool is not the final answer and is passed on unchecked.
 * @throws {GatewayError} 502 invalid_structured_output when a repaired choice still fails.
 */
export async function completeCheckedJson(
  body: GigaChatChatRequest,
  plan: StructuredPlan,
  call: CheckedJsonCall,
): Promise<OpenAIChatCompletion> {
  const expectation = plan.jsonAnswer!;
  const problemOf = async (choice: OpenAIChatCompletion["choices"][number] | undefined) => {
    if (choice === undefined || choice.finish_reason === "tool_calls") return undefined;
    const check = await checkJsonAnswer(choice.message.content ?? "", expectation);
    return check.ok ? undefined : { content: choice.message.content ?? "", problem: check.problem };
  };
  const first = await call.complete(body);
  const problems = await Promise.all(first.choices.map(problemOf));
  if (problems.every((problem) => problem === undefined)) return first;
  const usages: (OpenAIUsage | undefined)[] = [first.usage];
  const choices = await Promise.all(first.choices.map(async (choice, i) => {
    const failed = problems[i];
    if (failed === undefined) return choice;
    call.onRepair(failed.problem);
    // One answer per repair: only this choice is asked again.
    const { n: _n, ...single } = toRepairRequest(body, plan, failed.content, failed.problem);
    const second = await call.complete(single);
    usages.push(second.usage);
    const stillFailed = await problemOf(second.choices[0]);
    if (stillFailed !== undefined) {
      throw new GatewayError(
        502,
        `GigaChat's answer does not fit the requested response_format, even after one repair ` +
          `attempt: ${stillFailed.problem}.`,
        { type: "server_error", code: "invalid_structured_output", retryable: false },
      );
    }
    return { ...second.choices[0], index: choice.index };
  }));
  return { ...first, choices, usage: sumUsage(usages) };
}

/** The usage of several calls made for one answer, added up. */
function sumUsage(usages: readonly (OpenAIUsage | undefined)[]): OpenAIUsage | undefined {
  const known = usages.filter((usage) => usage !== undefined);
  if (known.length === 0) return undefined;
  return known.reduce((sum, usage) => ({
    prompt_tokens: sum.prompt_tokens + usage.prompt_tokens,
    completion_tokens: sum.completion_tokens + usage.completion_tokens,
    total_tokens: sum.total_tokens + usage.total_tokens,
    prompt_tokens_details: {
      cached_tokens: sum.prompt_tokens_details.cached_tokens +
        usage.prompt_tokens_details.cached_tokens,
    },
  }));
}

/**
 * A finished completion as a stream: role, content, tool calls, finish, then usage if asked.
 * Used where the answer must be checked whole before any of it is sent (JSON response_format).
 */
export function completionToChunks(
  completion: OpenAIChatCompletion,
  includeUsage: boolean,
): OpenAIChatCompletionChunk[] {
  const base = {
    id: completion.id,
    object: "chat.completion.chunk" as const,
    created: completion.created,
    model: completion.model,
    ...(completion.system_fingerprint ? { system_fingerprint: completion.system_fingerprint } : {}),
    ...(includeUsage ? { usage: null } : {}),
  };
  const chunks: OpenAIChatCompletionChunk[] = [];
  for (const choice of completion.choices) {
    const { index, message } = choice;
    const delta = (d: OpenAIChatCompletionChunk["choices"][number]["delta"]) =>
      chunks.push({ ...base, choices: [{ index, delta: d, logprobs: null, finish_reason: null }] });
    // In the order a whole answer gives them: reasoning, images, text, its citations.
    if (message.reasoning_content) {
      delta({ role: "assistant", reasoning_content: message.reasoning_content });
    }
    if (message.images) delta({ images: message.images });
    delta({
      ...(message.reasoning_content ? {} : { role: "assistant" }),
      content: message.content ?? "",
    });
    if (message.annotations) delta({ annotations: message.annotations });
    (message.tool_calls ?? []).forEach((call, k) => delta({ tool_calls: [{ index: k, ...call }] }));
    if (message.function_call) delta({ function_call: message.function_call });
    chunks.push({
      ...base,
      choices: [{
        index,
        delta: {},
        logprobs: null,
        finish_reason: choice.finish_reason,
        ...(choice[STOP_SEQUENCE] === undefined ? {} : { [STOP_SEQUENCE]: choice[STOP_SEQUENCE] }),
      }],
    });
  }
  if (includeUsage && completion.usage) {
    chunks.push({ ...base, choices: [], usage: completion.usage });
  }
  return chunks;
}
