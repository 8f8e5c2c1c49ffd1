/** An entry of OpenAI's `GET /v1/models`; `type` is GigaChat's kind (chat, embedder, ...). */
export interface OpenAIModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  type?: string;
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
 * GigaChat's `{"object":"list","data":[...]}` as OpenAI models, plus one entry per
 * MODEL_ALIASES name whose target is listed, so clients that check the list accept aliases.
 * Returns undefined when the body is not a model list.
 */
export function toOpenAIModels(
  body: unknown,
  aliases: Readonly<Record<string, string>>,
  created: number,
): OpenAIModel[] | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const data = (body as Record<string, unknown>).data;
  if (!Array.isArray(data)) return undefined;
  const models = data.map((entry) => toOpenAIModel(entry, created)).filter((m) => m !== undefined);
  const byId = new Map(models.map((model) => [model.id, model]));
  for (const [alias, target] of Object.entries(aliases)) {
    const model = byId.get(target);
    if (model !== undefined && !byId.has(alias)) models.push({ ...model, id: alias });
  }
  return models;
}
