/** Prices per million tokens in and out (MODEL_PRICES), by model name. */
export type Prices = Readonly<Record<string, { input: number; output: number }>>;

/**
 * What `tokens` of `model` cost: its own price, else the price of the GigaChat model its alias
 * names; 0 when neither has one.
 */
export function costOf(
  prices: Prices,
  aliases: Readonly<Record<string, string>>,
  model: string | undefined,
  tokens: { input: number; output: number } | undefined,
): number {
  if (model === undefined || tokens === undefined) return 0;
  const price = Object.hasOwn(prices, model)
    ? prices[model]
    : Object.hasOwn(aliases, model) && Object.hasOwn(prices, aliases[model])
    ? prices[aliases[model]]
    : undefined;
  if (price === undefined) return 0;
  return (tokens.input * price.input + tokens.output * price.output) / 1_000_000;
}
