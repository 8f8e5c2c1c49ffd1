import { invalidRequest } from "../errors.ts";

// GigaChat's function parameters accept a small JSON Schema subset: type, description,
// properties, required, items, enum (API-chat.md §4). Client schemas (zod-generated, OpenClaw's)
// use much more; this turns them into that subset without losing their structure.

type Schema = Record<string, unknown>;

const KEPT = new Set(["type", "description", "properties", "required", "items", "enum"]);
const PRIMITIVE_TYPES = new Set(["string", "number", "integer", "boolean", "object", "array"]);
const MAX_DEPTH = 32;
const MAX_NODES = 5000;

/** A parameters schema GigaChat accepts: `$ref`s resolved, unions collapsed, extras removed. */
export function sanitizeJsonSchema(input: unknown, param = "parameters"): Schema {
  const root = isSchema(input) ? input : {};
  const defs = { ...asSchemaMap(root.definitions), ...asSchemaMap(root.$defs) };
  // Tools without parameters send `{}` or nothing: that is an object with no properties.
  const budget = { nodes: MAX_NODES, param };
  const out = walk(
    root.type === undefined ? { type: "object", ...root } : root,
    defs,
    [],
    0,
    budget,
  );
  if (out.type !== "object") return { type: "object", properties: { value: out } };
  return out;
}

/** Nodes left to produce: inlining `$ref`s can multiply a small schema exponentially. */
interface Budget {
  nodes: number;
  param: string;
}

function walk(
  node: unknown,
  defs: Record<string, Schema>,
  seen: string[],
  depth: number,
  budget: Budget,
): Schema {
  if (--budget.nodes < 0) {
    throw invalidRequest(
      `${budget.param}: the JSON schema is too large once its $refs are resolved ` +
        `(more than ${MAX_NODES} nodes); simplify it.`,
      budget.param,
      "schema_too_complex",
    );
  }
  if (!isSchema(node) || depth > MAX_DEPTH) return { type: "object", properties: {} };
  let schema = node;
  const ref = typeof schema.$ref === "string" ? schema.$ref : undefined;
  if (ref !== undefined) {
    const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref)?.[1];
    const target = name === undefined ? undefined : defs[decodePointer(name)];
    // A recursive type cannot be inlined forever: its second visit becomes a plain object.
    if (target === undefined || seen.includes(ref)) {
      return withDescription({ type: "object", properties: {} }, schema);
    }
    const { $ref: _drop, ...rest } = schema;
    return walk({ ...target, ...rest }, defs, [...seen, ref], depth + 1, budget);
  }
  if (Array.isArray(schema.allOf)) {
    const { allOf, ...rest } = schema;
    schema = (allOf as unknown[]).reduce<Schema>(
      (merged, part) => mergeSchemas(merged, resolveShallow(part, defs)),
      rest,
    );
  }
  const union = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(union)) {
    const { anyOf: _a, oneOf: _o, ...rest } = schema;
    const variants = union.filter((variant) => !(isSchema(variant) && variant.type === "null"));
    // GigaChat has no unions: the first real variant stands for all (nullability is implied by
    // the field not being required).
    const chosen = variants[0] ?? { type: "string" };
    return withDescription(
      walk({ ...resolveShallow(chosen, defs), ...rest }, defs, seen, depth + 1, budget),
      schema,
    );
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (KEPT.has(key)) out[key] = value;
  }
  if (schema.const !== undefined && out.enum === undefined) out.enum = [schema.const];
  out.type = pickType(schema);
  if (out.type === "object") {
    const properties: Record<string, Schema> = {};
    for (const [name, child] of Object.entries(asSchemaMap(schema.properties))) {
      properties[name] = walk(child, defs, seen, depth + 1, budget);
    }
    out.properties = properties;
    const required = Array.isArray(schema.required)
      ? schema.required.filter((name): name is string =>
        typeof name === "string" && Object.hasOwn(properties, name)
      )
      : [];
    if (required.length > 0) out.required = required;
    else delete out.required;
  } else {
    delete out.properties;
    delete out.required;
  }
  if (out.type === "array") {
    const items = Array.isArray(schema.items) ? schema.items[0] : schema.items;
    out.items = isSchema(items) ? walk(items, defs, seen, depth + 1, budget) : { type: "string" };
  } else {
    delete out.items;
  }
  if (out.enum !== undefined && !Array.isArray(out.enum)) delete out.enum;
  // The type lost its "null" when unions collapsed; so does the enum.
  if (Array.isArray(out.enum)) out.enum = out.enum.filter((value) => value !== null);
  if (typeof out.description !== "string") delete out.description;
  return out;
}

function pickType(schema: Schema): string {
  const declared = Array.isArray(schema.type)
    ? schema.type.find((type) => type !== "null")
    : schema.type;
  if (typeof declared === "string" && PRIMITIVE_TYPES.has(declared)) return declared;
  if (isSchema(schema.properties)) return "object";
  if (schema.items !== undefined) return "array";
  const sample = Array.isArray(schema.enum) ? schema.enum[0] : schema.const;
  if (typeof sample === "number") return "number";
  if (typeof sample === "boolean") return "boolean";
  // An untyped schema allows anything; a string is what a model can always produce.
  return "string";
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const merged: Schema = { ...a, ...b };
  if (isSchema(a.properties) || isSchema(b.properties)) {
    merged.properties = { ...asSchemaMap(a.properties), ...asSchemaMap(b.properties) };
    merged.type = "object";
  }
  const required = [
    ...(Array.isArray(a.required) ? a.required : []),
    ...(Array.isArray(b.required) ? b.required : []),
  ];
  if (required.length > 0) merged.required = [...new Set(required)];
  if (typeof a.description === "string" && b.description === undefined) {
    merged.description = a.description;
  }
  return merged;
}

function resolveShallow(node: unknown, defs: Record<string, Schema>): Schema {
  if (!isSchema(node)) return {};
  if (typeof node.$ref !== "string") return node;
  const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(node.$ref)?.[1];
  const target = name === undefined ? undefined : defs[decodePointer(name)];
  return target === undefined ? node : { ...target, ...node };
}

function withDescription(out: Schema, from: Schema): Schema {
  if (typeof from.description === "string" && out.description === undefined) {
    out.description = from.description;
  }
  return out;
}

function decodePointer(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asSchemaMap(value: unknown): Record<string, Schema> {
  if (!isSchema(value)) return {};
  const out: Record<string, Schema> = {};
  for (const [key, child] of Object.entries(value)) if (isSchema(child)) out[key] = child;
  return out;
}
