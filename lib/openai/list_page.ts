import { invalidRequest } from "../errors.ts";

/** OpenAI's cursor-list parameters (`limit`, `after`, `order`). */
export interface ListQuery {
  limit: number;
  after: string | undefined;
  order: "asc" | "desc";
}

/** OpenAI's list object. */
export interface ListPage<T> {
  object: "list";
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/**
 * The list parameters of a request, with the endpoint's limits (`limit` defaults to
 * `defaultLimit`, at most `maxLimit`; `order` to desc). @throws {GatewayError} 400 naming a bad one.
 */
export function parseListQuery(
  params: URLSearchParams,
  limits: { defaultLimit: number; maxLimit: number },
): ListQuery {
  const limitText = params.get("limit");
  const limit = limitText === null ? limits.defaultLimit : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > limits.maxLimit) {
    throw invalidRequest(
      `Invalid 'limit': '${String(limitText).slice(0, 20)}'; expected a whole number from 1 ` +
        `to ${limits.maxLimit}.`,
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

/**
 * One page of `ascending` (oldest first) in the query's order, starting after the item named by
 * `after`. An `after` that names no item is a 400: quietly starting over or ending would lose
 * or repeat items. `noun` names them in that error.
 */
export function toListPage<T extends { id: string }>(
  ascending: readonly T[],
  query: ListQuery,
  noun: string,
): ListPage<T> {
  const ordered = query.order === "asc" ? ascending : [...ascending].reverse();
  let start = 0;
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === query.after);
    if (at < 0) {
      throw invalidRequest(
        `Invalid 'after': no ${noun} has the id '${query.after.slice(0, 100)}'.`,
        "after",
      );
    }
    start = at + 1;
  }
  const data = ordered.slice(start, start + query.limit);
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + query.limit < ordered.length,
  };
}
