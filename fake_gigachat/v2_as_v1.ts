// Tests read what the gateway sent GigaChat in v1's terms, whichever API it used: a v2 body
// read back as the v1 body it stands for (API-more.md §9, the table of differences). The fake
// checks v2 bodies strictly on arrival; this view only lets one test assert both backends.

interface V2Part {
  text?: string;
  files?: { id: string }[];
  function_call?: { name: string; arguments: unknown };
  function_result?: { name: string; result: unknown };
}

interface V2Message {
  role: string;
  content: V2Part[];
  tools_state_id?: string;
}

/** A v2 chat body as the v1 body with the same meaning; a v1 body is returned as it is. */
export function v2AsV1(body: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(body.messages) || !body.messages.every((m) => Array.isArray(m?.content))) {
    return body;
  }
  const { messages, model_options, tools, tool_config, disable_filter, ...rest } = body as {
    messages: V2Message[];
    model_options?: Record<string, unknown>;
    tools?: Record<string, unknown>[];
    tool_config?: { mode: string; function_name?: string };
    disable_filter?: boolean;
  } & Record<string, unknown>;
  const v1: Record<string, unknown> = { ...rest, messages: messages.map(toV1Message) };
  const { reasoning, ...options } = (model_options ?? {}) as { reasoning?: { effort: string } };
  Object.assign(v1, options);
  if (reasoning !== undefined) v1.reasoning_effort = reasoning.effort;
  if (disable_filter !== undefined) v1.profanity_check = !disable_filter;
  const functions = (tools ?? []).flatMap((tool) =>
    (tool.functions as { specifications?: unknown[] } | undefined)?.specifications ?? []
  );
  if (functions.length > 0) {
    v1.functions = functions;
    v1.function_call = tool_config?.mode === "forced" && tool_config.function_name
      ? { name: tool_config.function_name }
      : tool_config?.mode ?? "auto";
  }
  return v1;
}

function toV1Message(message: V2Message): Record<string, unknown> {
  const text = message.content.map((part) => part.text ?? "").join("");
  const attachments = message.content.flatMap((part) => (part.files ?? []).map((file) => file.id));
  const call = message.content.find((part) => part.function_call)?.function_call;
  const result = message.content.find((part) => part.function_result)?.function_result;
  if (message.role === "tool" && result !== undefined) {
    return { role: "function", name: result.name, content: JSON.stringify(result.result) };
  }
  const v1: Record<string, unknown> = { role: message.role, content: text };
  if (attachments.length > 0) v1.attachments = attachments;
  if (call !== undefined) v1.function_call = call;
  if (message.tools_state_id !== undefined) v1.functions_state_id = message.tools_state_id;
  return v1;
}
