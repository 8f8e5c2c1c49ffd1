import type { InputItem } from "./responses_request.ts";
import { newId } from "./to_response.ts";

/**
 * A request's own input as the items a stored response keeps and `input_items` lists: each
 * with an id (the client's, or one given here), a plain string as one user message, and a
 * message's text as a list of parts, as the SDK's item types have them.
 */
export function toStoredInputItems(input: string | readonly InputItem[] | undefined): InputItem[] {
  if (input === undefined) return [];
  if (typeof input === "string") {
    return [{
      id: newId("msg"),
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: input }],
    }];
  }
  // An id the client repeated would make `after` find the first of them, and a pager loop.
  const seen = new Set<string>();
  return input.map((item) => {
    const stored = storedItem(item, seen);
    seen.add(stored.id as string);
    return stored;
  });
}

function storedItem(item: InputItem, seen: ReadonlySet<string>): InputItem {
  const type = item.type ?? (item.role !== undefined ? "message" : undefined);
  const own = typeof item.id === "string" && item.id !== "" && !seen.has(item.id);
  const id = own ? item.id as string : newId(prefixOf(type));
  if (type !== "message" || typeof item.content !== "string") return { ...item, id };
  const assistant = item.role === "assistant";
  const part = assistant
    ? { type: "output_text", text: item.content, annotations: [] }
    : { type: "input_text", text: item.content };
  return { ...item, id, type: "message", content: [part] };
}

function prefixOf(type: string | undefined): "msg" | "fc" | "ctc" | "rs" {
  switch (type) {
    case "function_call":
    case "function_call_output":
      return "fc";
    case "custom_tool_call":
    case "custom_tool_call_output":
      return "ctc";
    case "reasoning":
      return "rs";
    default:
      return "msg";
  }
}
