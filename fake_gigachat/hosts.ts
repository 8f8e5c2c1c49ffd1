// The two public GigaChat hosts the fake plays (HOSTS-AND-MODELS.md): the old one under
// /api/v1 with the recorded model list, and api.giga.chat under /v1, whose list is assembled
// from the reported models (no recording of it exists): GigaChat-2, GigaChat-3 and
// GigaChat-2-Reasoning, and no older names, which get 404 "No such model" there.
import oldHostModels from "./samples/models_list.json" with { type: "json" };
import newHostModels from "./models_list_api_giga_chat.json" with { type: "json" };

/** One model of a host's `/models` list. */
export interface HostModel {
  id: string;
  object: string;
  owned_by: string;
  type: string;
}

/** What a host serves: its path prefix and its models. */
export interface FakeHost {
  name: "old" | "new";
  prefix: string;
  /** Where the v2 chat endpoint is: the prefix with v2 for v1, as GigaChat's SDK derives it. */
  v2Chat: string;
  models: { object: string; data: HostModel[] };
  chatModels: ReadonlySet<string>;
  embedders: ReadonlySet<string>;
}

function host(name: FakeHost["name"], prefix: string, models: FakeHost["models"]): FakeHost {
  const ids = (type: string) =>
    new Set(models.data.filter((m) => m.type === type).map((m) => m.id));
  return {
    name,
    prefix,
    v2Chat: `${prefix.slice(0, -"/v1".length)}/v2/chat/completions`,
    models,
    chatModels: ids("chat"),
    embedders: ids("embedder"),
  };
}

export const OLD_HOST: FakeHost = host("old", "/api/v1", oldHostModels);
export const NEW_HOST: FakeHost = host("new", "/v1", newHostModels);

/** Models that reason (HOSTS-AND-MODELS.md §Reasoning names GigaChat-2-Reasoning). */
export const REASONING_MODELS: ReadonlySet<string> = new Set(["GigaChat-2-Reasoning"]);

/**
 * The versioned name GigaChat answers with: GigaChat-3's as in the v2 samples
 * (`GigaChat-3-Ultra:32.3.18.5`), the others' as in the v1 samples (`GigaChat:2.0.28.2`).
 */
export function versionedName(model: string): string {
  return `${model}:${model.startsWith("GigaChat-3") ? "32.3.18.5" : "2.0.28.2"}`;
}
