import { invalidRequest } from "../../errors.ts";
import type { GigaChatChatRequest, GigaChatMessage } from "../../gigachat/types.ts";
import type {
  GigaChatV2Message,
  GigaChatV2ModelOptions,
  GigaChatV2Part,
  GigaChatV2Request,
  GigaChatV2Tool,
  GigaChatV2ToolConfig,
} from "../../gigachat/v2_types.ts";
import type { HostedTool } from "../../openai/chat_request.ts";

/** GigaChat's own tools for one request, and whether the client forced one of them. */
export interface V2HostedTools {
  tools: readonly HostedTool[];
  forced?: HostedTool;
}

/**
 * A GigaChat v1 chat body → the v2 body (API-more.md §9). The v1 mapping has already done
 * what the two APIs share (system message, tool names, schemas, limits, reasoning effort), so
 * this only reshapes: string contents become parts, function results `role: "tool"` messages
 * with the call's state id, sampling fields `model_options`, functions and GigaChat's own tools
 * `tools` with a `tool_config`.
 * @throws {GatewayError} 400 for what v2 cannot do (`n` above 1).
 */
export function toGigaChatV2Request(
  body: GigaChatChatRequest,
  hosted: V2HostedTools = { tools: [] },
): GigaChatV2Request {
  if (typeof body.n === "number" && body.n > 1) {
    throw invalidRequest(
      "n above 1 is not available on GigaChat's v2 chat API; ask for one choice, or send this " +
        "model to v1 (GIGACHAT_MODEL_BACKENDS).",
      "n",
    );
  }
  const v2: GigaChatV2Request = { model: body.model, messages: toV2Messages(body.messages) };
  if (body.stream) v2.stream = true;
  const options: GigaChatV2ModelOptions = {};
  if (body.temperature !== undefined) options.temperature = body.temperature;
  if (body.top_p !== undefined) options.top_p = body.top_p;
  if (body.max_tokens !== undefined) options.max_tokens = body.max_tokens;
  if (body.repetition_penalty !== undefined) options.repetition_penalty = body.repetition_penalty;
  if (body.update_interval !== undefined) options.update_interval = body.update_interval;
  if (body.reasoning_effort !== undefined) options.reasoning = { effort: body.reasoning_effort };
  if (body.response_format !== undefined) options.response_format = body.response_format;
  if (Object.keys(options).length > 0) v2.model_options = options;
  // The SDK's own mapping of the v1 switch (§9, filtering).
  if (body.profanity_check !== undefined) v2.disable_filter = !body.profanity_check;

  const tools: GigaChatV2Tool[] = [];
  if (body.functions !== undefined && body.functions.length > 0) {
    tools.push({ functions: { specifications: body.functions } });
  }
  for (const tool of hosted.tools) tools.push(hostedTool(tool));
  if (tools.length > 0) {
    v2.tools = tools;
    // Left out when v1 said nothing either, as the recorded result request has it.
    if (body.function_call !== undefined || hosted.tools.length > 0) {
      v2.tool_config = toolConfig(body, hosted);
    }
  }
  return v2;
}

function toolConfig(body: GigaChatChatRequest, hosted: V2HostedTools): GigaChatV2ToolConfig {
  const call = body.function_call;
  if (typeof call === "object") return { mode: "forced", function_name: call.name };
  if (hosted.forced !== undefined && hosted.tools.includes(hosted.forced)) {
    return { mode: "forced", tool_name: hosted.forced };
  }
  // "none" with GigaChat's own tools present still lets those run: the client only said no to
  // its functions, which the v1 mapping has then left out.
  return { mode: call === "none" && hosted.tools.length === 0 ? "none" : "auto" };
}

function hostedTool(tool: HostedTool): GigaChatV2Tool {
  switch (tool) {
    case "web_search":
      // The one recorded form (samples/v2chat_tool_web_search_request.json).
      return { web_search: { type: "actual_info_web_search" } };
    case "url_content_extraction":
      return { url_content_extraction: {} };
    case "image_generate":
      return { image_generate: {} };
    default: {
      const unknown: never = tool;
      throw new Error(`unknown hosted tool ${unknown}`);
    }
  }
}

function toV2Messages(messages: readonly GigaChatMessage[]): GigaChatV2Message[] {
  // The v1 mapping puts each function result right after its call, so the result takes the
  // state id of the call before it, as v2 wants on both (§9, function round trip).
  let stateId: string | undefined;
  return messages.map((message): GigaChatV2Message => {
    switch (message.role) {
      case "system":
      case "user": {
        const content: GigaChatV2Part[] = message.content !== "" || !message.attachments?.length
          ? [{ text: message.content }]
          : [];
        if (message.attachments?.length) {
          content.push({ files: message.attachments.map((id) => ({ id })) });
        }
        return { role: message.role, content };
      }
      case "assistant": {
        // Reasoning of earlier turns stays behind: how v2 takes it back is not documented.
        const content: GigaChatV2Part[] = message.content !== "" || !message.function_call
          ? [{ text: message.content }]
          : [];
        stateId = message.functions_state_id;
        if (message.function_call) {
          content.push({ function_call: message.function_call });
          return { role: "assistant", content, ...(stateId ? { tools_state_id: stateId } : {}) };
        }
        return { role: "assistant", content };
      }
      case "function": {
        const result = {
          function_result: { name: message.name ?? "", result: resultObject(message.content) },
        };
        return { role: "tool", content: [result], ...(stateId ? { tools_state_id: stateId } : {}) };
      }
      default: {
        const unknown: never = message.role;
        throw new Error(`unknown GigaChat role ${unknown}`);
      }
    }
  });
}

/** v1 results are JSON-object strings already (the v1 mapping wraps others); v2 takes the object. */
function resultObject(content: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(content);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Not JSON: wrapped below, as the v1 mapping would.
  }
  return { result: content };
}
