import { abortable } from "../abortable.ts";
import { unexpectedAnswer } from "../gigachat/upstream_error.ts";
import type { Credential } from "../gigachat/credential.ts";
import type { CallFields, UpstreamClient } from "../gigachat/upstream_client.ts";
import { LruCache } from "../lru_cache.ts";
import { resolveModel } from "../resolve_model.ts";
import {
  type OpenAIModel,
  toOpenAIModel,
  toOpenAIModels,
  withCapabilities,
} from "./to_openai_models.ts";
import type { CapabilityTable } from "../model_capabilities.ts";

export interface ModelCatalogOptions {
  upstream: UpstreamClient;
  aliases: Readonly<Record<string, string>>;
  ttlMs: number;
  maxEntries: number;
  /** The `created` every model reports (GigaChat sends none): the gateway's start, in seconds. */
  created: number;
  /** What each model can do, added to its entry. */
  capabilities: CapabilityTable;
  /** Told whether each lookup found a cached list (metrics). */
  onLookup?: (hit: boolean) => void;
}

/** What a model look-up needs from the request besides the credential. */
export type ModelCall = CallFields;

/** GigaChat's model list in OpenAI's shape, cached briefly per credential (lists differ by scope). */
export class ModelCatalog {
  readonly #o: ModelCatalogOptions;
  readonly #cache: LruCache<string, OpenAIModel[]>;
  readonly #pending = new Map<string, Promise<OpenAIModel[]>>();

  constructor(options: ModelCatalogOptions) {
    this.#o = options;
    this.#cache = new LruCache(options.maxEntries);
  }

  /** Every model the credential may use, aliases included. @throws {GatewayError} */
  list(credential: Credential, call: ModelCall): Promise<OpenAIModel[]> {
    const cached = this.#cache.get(credential.id);
    this.#o.onLookup?.(cached !== undefined);
    if (cached !== undefined) return Promise.resolve(cached);
    // Concurrent cold requests share one upstream call, like the token manager does; being
    // shared, it runs to its own timeout rather than stopping when its first client leaves.
    let pending = this.#pending.get(credential.id);
    if (pending === undefined) {
      pending = this.#fetchList(credential, { ...call, signal: undefined }).finally(() =>
        this.#pending.delete(credential.id)
      );
      this.#pending.set(credential.id, pending);
    }
    return abortable(pending, call.signal);
  }

  async #fetchList(credential: Credential, call: ModelCall): Promise<OpenAIModel[]> {
    const body = await this.#o.upstream.requestJson<unknown>({
      ...call,
      method: "GET",
      path: "/models",
      credential,
    });
    const models = toOpenAIModels(body, this.#o.aliases, this.#o.created, this.#o.capabilities);
    if (models === undefined) throw unexpectedAnswer("/models response");
    if (this.#o.ttlMs > 0) this.#cache.set(credential.id, models, Date.now() + this.#o.ttlMs);
    return models;
  }

  /** One model by its id or alias; a model missing from the list is asked for directly. */
  async get(id: string, credential: Credential, call: ModelCall): Promise<OpenAIModel> {
    const listed = (await this.list(credential, call)).find((model) => model.id === id);
    if (listed !== undefined) return listed;
    const upstream = resolveModel(id, this.#o.aliases);
    const body = await this.#o.upstream.requestJson<unknown>({
      ...call,
      method: "GET",
      path: `/models/${encodeURIComponent(upstream)}`,
      credential,
      model: { requested: id, upstream },
    });
    const model = toOpenAIModel(body, this.#o.created);
    if (model === undefined) throw unexpectedAnswer("/models/{id} response");
    return { ...withCapabilities(model, this.#o.capabilities), id };
  }
}
