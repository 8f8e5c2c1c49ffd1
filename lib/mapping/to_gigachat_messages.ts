import { invalidRequest } from "../errors.ts";
import type { GigaChatMessage } from "../gigachat/types.ts";
import type { ChatMessage } from "../openai/chat_request.ts";
import { functionsStateIdOf } from "./tool_call_id.ts";
import type { ToolNames } from "./tool_names.ts";

/** The text standing in for an image left out of a long conversation. */
export const DROPPED_IMAGE_TEXT =
  "[An earlier image was left out: GigaChat takes at most 10 images per request.]";

type Content = ChatMessage["content"];

/**
 * OpenAI messages → GigaChat messages (API-chat.md §2, §4):
 * - leading system/developer messages merge into one `system`; a later one becomes `user`
 *   (GigaChat takes one system message, first);
 * - an assistant's `tool_calls` are replayed as assistant(function_call) / function(result)
 *   pairs in order, since GigaChat carries one call per message; no call or result is dropped;
 * - `tool` → `function` named after its call, content wrapped into a JSON object;
 * - consecutive plain messages of the same role are merged.
 * @throws {GatewayError} 400 naming the message at fault.
 */
export function toGigaChatMessages(
  messages: readonly ChatMessage[],
  names: ToolNames,
  resolved: ResolvedAttachments = NO_ATTACHMENTS,
): GigaChatMessage[] {
  const system: string[] = [];
  const out: GigaChatMessage[] = [];
  const answered = new Set<number>();
  // Each tool message's index, by its tool_call_id: a lookup, not a scan per call, so a
  // request with thousands of calls is not quadratic.
  const results = new Map<string, { list: number[]; next: number }>();
  messages.forEach((message, j) => {
    if (message.role !== "tool") return;
    const found = results.get(message.tool_call_id);
    if (found === undefined) results.set(message.tool_call_id, { list: [j], next: 0 });
    else found.list.push(j);
  });
  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer": {
        const text = textOf(message.content, `${at}.content`);
        if (out.length === 0) system.push(text);
        else out.push({ role: "user", content: text });
        return;
      }
      case "user": {
        const ids: string[] = [];
        const content = textOf(message.content, `${at}.content`, (k) => {
          const key = `${i}:${k}`;
          if (resolved.dropped.has(key)) return { text: DROPPED_IMAGE_TEXT };
          const id = resolved.fileIds.get(key);
          if (id !== undefined) ids.push(id);
          return id === undefined ? undefined : {};
        });
        out.push(
          ids.length > 0 ? { role: "user", content, attachments: ids } : { role: "user", content },
        );
        return;
      }
      case "assistant": {
        const text = textOf(message.content ?? "", `${at}.content`);
        const calls = message.tool_calls ?? [];
        // GigaChat v1 takes an assistant turn's reasoning back (§2): it goes with the turn's
        // first message.
        const reasoning = message.reasoning_content
          ? { reasoning_content: message.reasoning_content }
          : {};
        if (calls.length === 0 && message.function_call) {
          out.push({
            role: "assistant",
            content: text,
            ...reasoning,
            function_call: {
              name: names.toUpstream(message.function_call.name),
              arguments: parseArguments(
                message.function_call.arguments,
                `${at}.function_call.arguments`,
              ),
            },
          });
          return;
        }
        if (calls.length === 0) {
          out.push({ role: "assistant", content: text, ...reasoning });
          return;
        }
        calls.forEach((call, k) => {
          const stateId = functionsStateIdOf(call.id);
          out.push({
            role: "assistant",
            content: k === 0 ? text : "",
            ...(k === 0 ? reasoning : {}),
            function_call: {
              name: names.toUpstream(call.function.name),
              arguments: parseArguments(
                call.function.arguments,
                `${at}.tool_calls[${k}].function.arguments`,
              ),
            },
            ...(stateId ? { functions_state_id: stateId } : {}),
          });
          const j = findResult(results, i + 1, call.id, answered);
          if (j === undefined) {
            throw invalidRequest(
              `${at}.tool_calls[${k}] (id '${call.id}') has no tool message answering it; ` +
                "every tool call needs a following message with role 'tool' and that tool_call_id.",
              `${at}.tool_calls`,
            );
          }
          answered.add(j);
          const result = messages[j] as Extract<ChatMessage, { role: "tool" }>;
          out.push({
            role: "function",
            name: names.toUpstream(call.function.name),
            content: toFunctionResult(textOf(result.content, `messages[${j}].content`)),
          });
        });
        return;
      }
      case "tool":
        if (!answered.has(i)) {
          throw invalidRequest(
            `${at}.tool_call_id '${message.tool_call_id}' matches no tool call of an earlier ` +
              "assistant message.",
            `${at}.tool_call_id`,
          );
        }
        return;
      case "function":
        out.push({
          role: "function",
          name: names.toUpstream(message.name),
          content: toFunctionResult(message.content ?? ""),
        });
        return;
      default: {
        const unknown: never = message;
        throw invalidRequest(`Unsupported message ${JSON.stringify(unknown)}`, at);
      }
    }
  });
  const merged = mergeSameRole(out);
  if (system.length > 0) merged.unshift({ role: "system", content: system.join("\n\n") });
  return merged;
}

/** GigaChat wants a JSON object as a function result; anything else is wrapped (§4). */
export function toFunctionResult(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return text;
    return JSON.stringify({ result: value });
  } catch {
    return JSON.stringify({ result: text });
  }
}

/** Image and file parts already turned into GigaChat file ids (by the route, which does I/O). */
export interface ResolvedAttachments {
  /** `"<message>:<part>"` → file id. */
  fileIds: ReadonlyMap<string, string>;
  /** Images left out of a long conversation, replaced by a short text. */
  dropped: ReadonlySet<string>;
}

const NO_ATTACHMENTS: ResolvedAttachments = { fileIds: new Map(), dropped: new Set() };

/** What an attachment part contributes: nothing (it is attached) or a stand-in text. */
type AttachmentLookup = (part: number) => { text?: string } | undefined;

function textOf(content: Content | "", param: string, lookup?: AttachmentLookup): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  const texts: string[] = [];
  content.forEach((part, k) => {
    if (part.type === "text" && typeof part.text === "string") {
      texts.push(part.text);
      return;
    }
    if (part.type === "image_url" || part.type === "file") {
      const found = lookup?.(k);
      if (found !== undefined) {
        if (found.text !== undefined) texts.push(found.text);
        return;
      }
      throw invalidRequest(
        `${param}[${k}]: ${part.type} content is only taken in user messages.`,
        `${param}[${k}]`,
        "unsupported_content",
      );
    }
    throw invalidRequest(
      `${param}[${k}]: content parts of type '${part.type}' are not supported by GigaChat.`,
      `${param}[${k}]`,
      "unsupported_content",
    );
  });
  return texts.join("\n");
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest(
      `${param} is not valid JSON; tool arguments must be a JSON object.`,
      param,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidRequest(`${param} must be a JSON object.`, param);
  }
  return value as Record<string, unknown>;
}

/**
 * The first unanswered tool message for `id` at or after `from`. Calls come in order, so `from`
 * only grows: a result passed over (before `from`, or answered) is never wanted again.
 */
function findResult(
  results: ReadonlyMap<string, { list: number[]; next: number }>,
  from: number,
  id: string,
  answered: ReadonlySet<number>,
): number | undefined {
  const found = results.get(id);
  if (found === undefined) return undefined;
  const { list } = found;
  while (found.next < list.length && (list[found.next] < from || answered.has(list[found.next]))) {
    found.next++;
  }
  return list[found.next];
}

function mergeSameRole(messages: GigaChatMessage[]): GigaChatMessage[] {
  const out: GigaChatMessage[] = [];
  for (const message of messages) {
    const last = out.at(-1);
    // A message with attachments keeps them to itself: GigaChat takes one image per message.
    const plain = (m: GigaChatMessage) =>
      (m.role === "user" || m.role === "assistant") && m.function_call === undefined &&
      m.attachments === undefined && m.reasoning_content === undefined;
    if (last && last.role === message.role && plain(last) && plain(message)) {
      last.content = last.content === "" ? message.content : `${last.content}\n${message.content}`;
    } else {
      out.push({ ...message });
    }
  }
  return out;
}
