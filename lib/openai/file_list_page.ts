import { invalidRequest } from "../errors.ts";
import type { OpenAIFile } from "./to_openai_file.ts";

/** OpenAI's list parameters for `GET /v1/files`. */
export interface FileListQuery {
  limit: number;
  after: string | undefined;
  order: "asc" | "desc";
}

/** OpenAI's largest and default page. */
const MAX_LIMIT = 10_000;

/** The list parameters of a files request. @throws {GatewayError} 400 naming a bad one. */
export function parseFileListQuery(params: URLSearchParams): FileListQuery {
  const limitText = params.get("limit");
  const limit = limitText === null ? MAX_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw invalidRequest(
      `Invalid 'limit': '${String(limitText).slice(0, 20)}'; expected a whole number from 1 ` +
        `to ${MAX_LIMIT}.`,
      "limit",
    );
  }
  const order = params.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw invalidRequest(
      `Invalid 'order': '${order.slice(0, 20)}'; expected asc or desc.`,
      "order",
    );
  }
  return { limit, after: params.get("after") ?? undefined, order };
}

/** OpenAI's list object for files. */
export interface FileListPage {
  object: "list";
  data: OpenAIFile[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/**
 * One page of files, ordered by `created_at` (then id, so ties keep one order) and starting
 * after the file named by `after`. An `after` that names no file is a 400: quietly starting
 * over or ending would lose or repeat files.
 */
export function toFileListPage(
  files: readonly OpenAIFile[],
  query: FileListQuery,
): FileListPage {
  const sign = query.order === "asc" ? 1 : -1;
  const sorted = [...files].sort((a, b) =>
    sign * (a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  );
  let start = 0;
  if (query.after !== undefined) {
    const at = sorted.findIndex((file) => file.id === query.after);
    if (at < 0) {
      throw invalidRequest(
        `Invalid 'after': no file has the id '${query.after.slice(0, 100)}'.`,
        "after",
      );
    }
    start = at + 1;
  }
  const data = sorted.slice(start, start + query.limit);
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + query.limit < sorted.length,
  };
}
