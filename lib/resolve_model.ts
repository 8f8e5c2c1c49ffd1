/** The GigaChat model for a requested name: MODEL_ALIASES first, else the name as given. */
export function resolveModel(requested: string, aliases: Readonly<Record<string, string>>): string {
  return Object.hasOwn(aliases, requested) ? aliases[requested] : requested;
}
