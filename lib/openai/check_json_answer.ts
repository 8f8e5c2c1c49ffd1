import type { Ajv2020, ValidateFunction } from "ajv/dist/2020";
import { LruCache } from "../lru_cache.ts";

/** What a JSON answer must be: any JSON object, or an instance of the client's schema. */
export type JsonExpectation =
  | { kind: "json_object" }
  | { kind: "json_schema"; schema: Record<string, unknown> };

export type JsonCheck = { ok: true } | { ok: false; problem: string };

// Agents send the same schema on every turn; compiling once per schema keeps it off the hot path.
const compiled = new LruCache<string, ValidateFunction | null>(200);
const FOREVER = Number.MAX_SAFE_INTEGER;

// Ajv (CommonJS, with Node's module layer behind it) adds ~4-5 MB to the gateway's RSS when
// loaded, so it is loaded with the first schema to check rather than at start-up.
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
