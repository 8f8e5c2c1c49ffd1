import type { OpenAIFile } from "./to_openai_file.ts";
import { type ListPage, type ListQuery, parseListQuery, toListPage } from "./list_page.ts";

/** OpenAI's list parameters for `GET /v1/files`. */
export type FileListQuery = ListQuery;

/** OpenAI's list object for files. */
export type FileListPage = ListPage<OpenAIFile>;

/** OpenAI's largest and default page. */
const MAX_LIMIT = 10_000;

/** The list parameters of a files request. @throws {GatewayError} 400 naming a bad one. */
export function parseFileListQuery(params: URLSearchParams): FileListQuery {
  return parseListQuery(params, { defaultLimit: MAX_LIMIT, maxLimit: MAX_LIMIT });
}

/**
 * One page of files, ordered by `created_at` (then id, so ties keep one order) and starting
 * after the file named by `after`.
 */
export function toFileListPage(
  files: readonly OpenAIFile[],
  query: FileListQuery,
): FileListPage {
  const ascending = [...files].sort((a, b) =>
    a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
  return toListPage(ascending, query, "file");
}
