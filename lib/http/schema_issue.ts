import type { z } from "zod";
import { formatPath } from "./json_limits.ts";

/** What a request schema found wrong first: the field's path, as the client wrote it, and why. */
export interface SchemaIssue {
  param: string;
  message: string;
}

/**
 * The first issue of a failed parse, made specific: where a value matched no branch of a union
 * (`string | Block[]`), the branch that got furthest into the value says what is wrong, so
 * `content: [null]` names `content[0]` rather than `content` with "Invalid input".
 */
export function firstIssue(error: z.ZodError): SchemaIssue {
  const { path, message } = specific(error.issues[0]);
  return { param: formatPath(path), message };
}

type Issue = z.core.$ZodIssue;

function specific(issue: Issue): { path: PropertyKey[]; message: string } {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) {
    return { path: issue.path, message: issue.message };
  }
  let best: { path: PropertyKey[]; message: string } | undefined;
  for (const branch of issue.errors) {
    if (branch.length === 0) continue;
    const found = specific(branch[0]);
    if (best === undefined || found.path.length > best.path.length) best = found;
  }
  // Every branch failed at the value itself: say which kinds of value would do.
  if (best === undefined || best.path.length === 0) {
    const expected = issue.errors.flatMap((branch) =>
      branch[0]?.code === "invalid_type" && branch[0].path.length === 0 ? [branch[0].expected] : []
    );
    const message = expected.length === issue.errors.length
      ? `Invalid input: expected ${[...new Set(expected)].join(" or ")}`
      : issue.message;
    return { path: issue.path, message };
  }
  return { path: [...issue.path, ...best.path], message: best.message };
}

/**
 * An object told apart by a tag (its `type`, unless `tagOf` says otherwise), checked against
 * the schema for that tag; an object with an unknown tag passes, for the translation to refuse
 * by name. Unlike a discriminated union this keeps every field, and the path of a nested issue.
 */
export function tagged<Base extends z.ZodObject>(
  base: Base,
  schemas: Readonly<Record<string, z.ZodType>>,
  tagOf: (value: z.infer<Base>) => unknown = (value) => (value as { type?: unknown }).type,
): Base {
  return base.superRefine((value, ctx) => {
    const tag = tagOf(value);
    const schema = typeof tag === "string" && Object.hasOwn(schemas, tag)
      ? schemas[tag]
      : undefined;
    const result = schema?.safeParse(value);
    if (result === undefined || result.success) return;
    const { path, message } = specific(result.error.issues[0]);
    ctx.addIssue({ code: "custom", message, path });
  });
}
