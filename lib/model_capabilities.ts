// What each GigaChat model can do. GigaChat's /models says none of it (HOSTS-AND-MODELS.md
// §Models), and the reference establishes no context sizes (API-chat.md §7), so the built-in
// figures are the gateway's cautious reading: 128 000-token contexts as Sber announced for
// GigaChat 2 (and assumed, not more, for GigaChat 3), 8192 output tokens, images for the Pro
// and Max models, GigaChat-2-Reasoning as the one reasoning model named, and nothing claimed
// where nothing is known. MODEL_CAPABILITIES overrides or extends any entry.

/** One model's capabilities; an absent field is unknown, and then nothing is refused for it. */
export interface ModelCapabilities {
  /** Prompt plus answer, in tokens. */
  context_window?: number;
  /** The largest answer, in tokens; larger max_tokens are lowered to it. */
  max_output_tokens?: number;
  /** Takes images; false refuses image parts with a 400 before anything is uploaded. */
  vision?: boolean;
  /** Reasons: takes reasoning_effort and may answer with reasoning_content. */
  reasoning?: boolean;
  /** Calls functions. */
  tools?: boolean;
}

/** Capabilities by model family (a name; `-preview` and `:<version>` variants share it). */
export type CapabilityTable = Readonly<Record<string, ModelCapabilities>>;

const GIGACHAT_2 = { context_window: 128_000, max_output_tokens: 8192, tools: true } as const;
const OLDER = { context_window: 32_768, reasoning: false, tools: true } as const;

/** The built-in table; `MODEL_CAPABILITIES` entries are merged over it field by field. */
export const BUILT_IN_CAPABILITIES: CapabilityTable = {
  "GigaChat": { ...OLDER, vision: false },
  "GigaChat-Plus": { ...OLDER },
  "GigaChat-Pro": { ...OLDER, vision: true },
  "GigaChat-Max": { ...OLDER, vision: true },
  "GigaChat-2": { ...GIGACHAT_2, vision: false, reasoning: false },
  "GigaChat-2-Pro": { ...GIGACHAT_2, vision: true, reasoning: false },
  "GigaChat-2-Max": { ...GIGACHAT_2, vision: true, reasoning: false },
  "GigaChat-2-Reasoning": { context_window: 128_000, max_output_tokens: 8192, reasoning: true },
  "GigaChat-3-Ultra": { ...GIGACHAT_2 },
  "GigaChat-3-Pro": { ...GIGACHAT_2 },
  "GigaChat-3-Lightning": { ...GIGACHAT_2 },
};

/** `overrides` merged over `base`, field by field, entry by entry. */
export function mergeCapabilities(
  base: CapabilityTable,
  overrides: CapabilityTable,
): CapabilityTable {
  // fromEntries defines own properties, so even a model named "__proto__" stays an entry.
  return Object.fromEntries([
    ...Object.entries(base).filter(([name]) => !Object.hasOwn(overrides, name)),
    ...Object.entries(overrides).map(([name, entry]): [string, ModelCapabilities] => [
      name,
      { ...(Object.hasOwn(base, name) ? base[name] : {}), ...entry },
    ]),
  ]);
}

/**
 * A model's capabilities: its own entry, else its family's (the name without a `:<version>`
 * or `-preview` suffix); undefined for a model the table does not know.
 */
export function capabilitiesOf(
  table: CapabilityTable,
  model: string,
): ModelCapabilities | undefined {
  if (Object.hasOwn(table, model)) return table[model];
  const candidates = [model.replace(/:[^:]*$/, "")];
  candidates.push(candidates[0].replace(/-preview$/, ""));
  for (const name of candidates) {
    if (Object.hasOwn(table, name)) return table[name];
  }
  return undefined;
}

/** The model to suggest to a client whose model cannot see: GigaChat-2-Max, or any that can. */
export function suggestedVisionModel(table: CapabilityTable): string {
  if (capabilitiesOf(table, "GigaChat-2-Max")?.vision === true) return "GigaChat-2-Max";
  return Object.entries(table).find(([, entry]) => entry.vision === true)?.[0] ?? "GigaChat-2-Max";
}
