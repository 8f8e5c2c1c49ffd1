import { capabilitiesOf, type CapabilityTable } from "../model_capabilities.ts";

/**
 * An entry of OpenAI's `GET /v1/models`; `type` is GigaChat's kind (chat, embedder, ...). The
 * capability fields are the ones clients read from model lists (OpenRouter's shape), present
 * only where the capability table knows them.
 */
export interface OpenAIModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  type?: string;
  context_length?: number;
  max_completion_tokens?: number;
  architecture?: { input_modalities: string[]; output_modalities: string[] };
  supported_parameters?: string[];
  top_provider?: { context_length?: number; max_completion_tokens?: number };
}

/** What every GigaChat chat model takes, whatever else it can do. */
const CHAT_PARAMETERS = [
  "max_tokens",
  "temperature",
  "top_p",
  "stop",
  "response_format",
  "structured_outputs",
];

/** `model` with what the table says of it; a model the table does not know is left as it is. */
export function withCapabilities(model: OpenAIModel, table: CapabilityTable): OpenAIModel {
  if (model.type !== undefined && model.type !== "chat") return model;
  const known = capabilitiesOf(table, model.id);
  if (known === undefined) return model;
  const out: OpenAIModel = { ...model };
  if (known.context_window !== undefined) out.context_length = known.context_window;
  if (known.max_output_tokens !== undefined) out.max_completion_tokens = known.max_output_tokens;
  out.architecture = {
    input_modalities: known.vision === true ? ["text", "image"] : ["text"],
    output_modalities: ["text"],
  };
  out.supported_parameters = [
    ...CHAT_PARAMETERS,
    ...(known.tools === true ? ["tools", "tool_choice"] : []),
    ...(known.reasoning === true ? ["reasoning", "reasoning_effort"] : []),
  ];
  if (out.context_length !== undefined || out.max_completion_tokens !== undefined) {
    out.top_provider = {
      context_length: out.context_length,
      max_completion_tokens: out.max_completion_tokens,
    };
  }
  return out;
}

/**
 * One GigaChat model object (API-more.md §1) in OpenAI's shape. GigaChat sends no `created`,
 * so the caller supplies one. Returns undefined for an entry without a string `id`.
 */
export function toOpenAIModel(entry: unknown, created: number): OpenAIModel | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const record = entry as Record<string, unknown>;
  if (typeof record.id !== "string" || record.id === "") return undefined;
  const model: OpenAIModel = {
    id: record.id,
    object: "model",
    created,
    owned_by: typeof record.owned_by === "string" ? record.owned_by : "salutedevices",
  };
  if (typeof record.type === "string") model.type = record.type;
  return model;
}

/**
 * GigaChat's `{"object":"list","data":[...]}` as OpenAI models with what `capabilities` says
 * of each, plus one entry per
 * MODEL_ALIASES name whose target is listed, so clients that check the list accept aliases.
 * Returns undefined when the body is not a model list.
 */
export function toOpenAIModels(
  body: unknown,
  aliases: Readonly<Record<string, string>>,
  created: number,
  capabilities: CapabilityTable = {},
): OpenAIModel[] | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const data = (body as Record<string, unknown>).data;
  if (!Array.isArray(data)) return undefined;
  const models = data.map((entry) => toOpenAIModel(entry, created))
    .filter((m) => m !== undefined)
    // An alias is a copy of its target's entry, capabilities included.
    .map((model) => withCapabilities(model, capabilities));
  const byId = new Map(models.map((model) => [model.id, model]));
  for (const [alias, target] of Object.entries(aliases)) {
    const model = byId.get(target);
    if (model !== undefined && !byId.has(alias)) models.push({ ...model, id: alias });
  }
  return models;
}
