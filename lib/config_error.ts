// What config.ts and the settings it parses through other modules (pool_settings.ts) share:
// the error a bad setting raises, and GigaChat's OAuth scopes.

/** Raised for a bad setting; main.ts prints its one-line message and exits with code 1. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** GigaChat OAuth scopes (API-chat.md §1.1). */
export const SCOPES = ["GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"] as const;
export type Scope = typeof SCOPES[number];
