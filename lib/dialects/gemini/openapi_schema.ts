// Google's `Schema` (an OpenAPI 3.0 subset with upper-case types, `nullable`, and int64 counts
// as strings) as the JSON Schema the chat pipeline takes for tools and structured output.

type Schema = Record<string, unknown>;

/** Fields copied as they are. */
const KEPT = ["format", "title", "description", "pattern", "minimum", "maximum", "default"];
/** int64 fields that proto3 JSON writes as strings. */
const COUNTS = ["minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"];
const MAX_DEPTH = 64;

/** The JSON Schema of a Google Schema; anything not an object is an empty schema. */
export function toJsonSchema(input: unknown, depth = 0): Schema {
  if (typeof input !== "object" || input === null || Array.isArray(input) || depth > MAX_DEPTH) {
    return {};
  }
  const schema = input as Schema;
  const out: Schema = {};
  const type = typeof schema.type === "string" ? schema.type.toLowerCase() : undefined;
  if (type !== undefined && type !== "type_unspecified") {
    out.type = schema.nullable === true && type !== "null" ? [type, "null"] : type;
  }
  for (const key of KEPT) if (schema[key] !== undefined) out[key] = schema[key];
  for (const key of COUNTS) {
    const value = Number(schema[key]);
    if (schema[key] !== undefined && Number.isInteger(value) && value >= 0) out[key] = value;
  }
  if (Array.isArray(schema.enum)) out.enum = schema.enum;
  if (Array.isArray(schema.required)) out.required = schema.required;
  if (schema.items !== undefined) out.items = toJsonSchema(schema.items, depth + 1);
  if (Array.isArray(schema.anyOf)) {
    out.anyOf = schema.anyOf.map((branch) => toJsonSchema(branch, depth + 1));
  }
  if (typeof schema.properties === "object" && schema.properties !== null) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties as Schema).map((
        [name, child],
      ) => [name, toJsonSchema(child, depth + 1)]),
    );
  }
  return out;
}
