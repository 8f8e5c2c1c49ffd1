// GIGACHAT_POOL: several GigaChat credentials for server-side mode, each with its name, way of
// authenticating, scope, concurrency cap and the models it serves (README "Several GigaChat
// credentials"). Parsed here so config.ts stays one list of settings.
import { z } from "zod";
import { ConfigError, type Scope, SCOPES } from "./config_error.ts";

/** How a pool member gets its access token; `certificate`: none, its client certificate is enough. */
export type PoolMemberKind = "oauth" | "password" | "token" | "certificate";

/** One credential of GIGACHAT_POOL, checked. */
export interface PoolMemberSetting {
  name: string;
  kind: PoolMemberKind;
  /** The authorization key, base64 of user:password, or the access token; "" for `certificate`. */
  key: string;
  scope: Scope;
  /** Concurrent generations it may run (across instances with REDIS_URL); 0: no cap. */
  concurrency: number;
  /** The models it serves (GigaChat's names); undefined: every model. */
  models: readonly string[] | undefined;
  clientCertificate: { certFile: string; keyFile: string } | undefined;
  /** What of it must never be logged. */
  secrets: readonly string[];
}

const EXAMPLE = '[{"name":"team-a","credentials":"<authorization key>","concurrency":10}]';
/** More would be a mistake: each member has its own token, metrics series and /ready line. */
const MAX_MEMBERS = 1000;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** base64 of `user:password` (UTF-8), as Basic auth takes it, for a password of any length. */
export function basicPair(user: string, password: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(`${user}:${password}`)) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary);
}

let entrySchema: z.ZodType<Entry> | undefined;

interface Entry {
  name: string;
  credentials?: string;
  user?: string;
  password?: string;
  access_token?: string;
  scope?: string;
  concurrency?: number;
  models?: string[];
  client_cert_file?: string;
  client_key_file?: string;
}

/** Built on first use: this module and config.ts import each other. */
function schema(): z.ZodType<Entry> {
  entrySchema ??= z.strictObject({
    name: z.string().regex(
      NAME,
      "must be 1 to 64 letters, digits, '_', '.' or '-' (it names the credential in logs and metrics)",
    ),
    credentials: z.string().trim().min(1).optional(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    access_token: z.string().trim().min(1).optional(),
    scope: z.string().optional(),
    concurrency: z.number().int().min(0).max(10_000).optional(),
    models: z.array(z.string().trim().min(1)).min(1).optional(),
    client_cert_file: z.string().min(1).optional(),
    client_key_file: z.string().min(1).optional(),
  });
  return entrySchema;
}

/**
 * GIGACHAT_POOL's value (a JSON array, or the path of a file holding one) as checked members.
 * `concurrency` is the cap of a member that names none. @throws {ConfigError} naming the entry.
 */
export function parsePool(
  value: string,
  defaults: { scope: Scope; concurrency: number },
): PoolMemberSetting[] {
  const text = value.trim();
  let json = text;
  if (!text.startsWith("[") && !text.startsWith("{")) {
    try {
      json = Deno.readTextFileSync(text);
    } catch (error) {
      // Not the value itself: one pasted by mistake may be a key.
      const why = error instanceof Deno.errors.NotFound
        ? "no file has that path"
        : "the file it names cannot be read";
      throw new ConfigError(`GIGACHAT_POOL must be a JSON array or a readable JSON file (${why})`);
    }
  }
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    throw new ConfigError(`GIGACHAT_POOL must be JSON, like ${EXAMPLE}`);
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(`GIGACHAT_POOL must be a non-empty JSON array, like ${EXAMPLE}`);
  }
  if (list.length > MAX_MEMBERS) {
    throw new ConfigError(`GIGACHAT_POOL holds ${list.length} entries; at most ${MAX_MEMBERS}`);
  }
  const members = list.map((entry, i) => member(entry, i, defaults));
  const names = new Set<string>();
  const accounts = new Map<string, string>();
  for (const { name, kind, key, scope } of members) {
    if (names.has(name)) throw new ConfigError(`GIGACHAT_POOL names "${name}" twice`);
    names.add(name);
    // One account twice would have two caps where GigaChat counts one.
    const account = `${kind}\n${scope}\n${key}`;
    if (key !== "" && accounts.has(account)) {
      throw new ConfigError(
        `GIGACHAT_POOL entries "${accounts.get(account)}" and "${name}" hold the same credential ` +
          "and scope: give it one entry with the sum of their caps",
      );
    }
    accounts.set(account, name);
  }
  return members;
}

function member(
  raw: unknown,
  index: number,
  defaults: { scope: Scope; concurrency: number },
): PoolMemberSetting {
  // The name only when it is one: a secret pasted there by mistake is not echoed.
  const name = (raw as Entry | null)?.name;
  const label = typeof name === "string" && NAME.test(name)
    ? `GIGACHAT_POOL entry ${index + 1} ("${name}")`
    : `GIGACHAT_POOL entry ${index + 1}`;
  const parsed = schema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // Only the field's name: its value may be a secret.
    const field = issue.path.length > 0 ? `${issue.path.join(".")} ` : "";
    throw new ConfigError(`${label}: ${field}${issue.message}`);
  }
  const entry = parsed.data;
  const { kind, key, secrets } = wayOf(entry, label);
  if ((entry.client_cert_file === undefined) !== (entry.client_key_file === undefined)) {
    throw new ConfigError(`${label}: client_cert_file and client_key_file go together`);
  }
  return {
    name: entry.name,
    kind,
    key,
    scope: scopeOf(entry.scope, defaults.scope, label),
    concurrency: entry.concurrency ?? defaults.concurrency,
    models: entry.models,
    clientCertificate: entry.client_cert_file === undefined
      ? undefined
      : { certFile: entry.client_cert_file, keyFile: entry.client_key_file! },
    secrets,
  };
}

/** Exactly one way to authenticate, or none with a client certificate. */
function wayOf(entry: Entry, label: string): Pick<PoolMemberSetting, "kind" | "key" | "secrets"> {
  const ways = [
    entry.credentials !== undefined ? "credentials" : undefined,
    entry.user !== undefined || entry.password !== undefined ? "user and password" : undefined,
    entry.access_token !== undefined ? "access_token" : undefined,
  ].filter((way) => way !== undefined);
  if (ways.length > 1) {
    throw new ConfigError(`${label}: set one way to authenticate, not ${ways.join(" and ")}`);
  }
  if (entry.credentials !== undefined) {
    return { kind: "oauth", key: entry.credentials, secrets: [entry.credentials] };
  }
  if (entry.user !== undefined || entry.password !== undefined) {
    if (entry.user === undefined || entry.password === undefined) {
      throw new ConfigError(`${label}: user and password go together`);
    }
    const key = basicPair(entry.user, entry.password);
    return { kind: "password", key, secrets: [key, entry.password] };
  }
  if (entry.access_token !== undefined) {
    return { kind: "token", key: entry.access_token, secrets: [entry.access_token] };
  }
  if (entry.client_cert_file === undefined) {
    throw new ConfigError(
      `${label}: needs credentials, user and password, access_token, or client_cert_file and ` +
        "client_key_file",
    );
  }
  return { kind: "certificate", key: "", secrets: [] };
}

function scopeOf(value: string | undefined, fallback: Scope, label: string): Scope {
  if (value === undefined) return fallback;
  const upper = value.trim().toUpperCase();
  const full = upper.startsWith("GIGACHAT_API_") ? upper : `GIGACHAT_API_${upper}`;
  if (!(SCOPES as readonly string[]).includes(full)) {
    throw new ConfigError(`${label}: scope must be PERS, B2B or CORP`);
  }
  return full as Scope;
}
