import type { Handler, RequestContext } from "../lib/context.ts";
import type { Route } from "../lib/http/router.ts";
import { NAME, VERSION } from "../lib/version.ts";
import { changeKey, createKey, getKey, listKeys, revokeKey, usage } from "./admin.ts";
import { live, modelTable, recentRequests, status } from "./admin_status.ts";
import { countSessions, endAllSessions, sessionState, signIn, signOut } from "./console_session.ts";
import { consoleAsset, consolePage } from "./console.ts";
import { chatCompletions } from "./chat_completions.ts";
import { embeddings } from "./embeddings.ts";
import { createFile, deleteFile, getFile, getFileContent, listFiles } from "./files.ts";
import { health, metrics, ready } from "./health.ts";
import { countTokens, createMessage } from "./messages.ts";
import { createResponse, deleteResponse, getResponse, getResponseInputItems } from "./responses.ts";
import { getModel, listModels } from "./models.ts";
import { geminiModelCall, getGeminiModel, listGeminiModels } from "./gemini.ts";

/** Every route the gateway serves; each also answers under `/v1`. */
export const ROUTES: readonly Route<Handler>[] = [
  { method: "GET", path: "/", handler: index },
  { method: "GET", path: "/health", handler: health },
  { method: "GET", path: "/ready", handler: ready },
  { method: "GET", path: "/metrics", handler: metrics },
  { method: "GET", path: "/models", handler: listModels },
  { method: "GET", path: "/models/:id", handler: getModel },
  // Google's Gemini API; its calls are also served without /v1beta (and under /v1).
  { method: "POST", path: "/models/:id", handler: geminiModelCall },
  // A model name may hold slashes, which Google's SDK does not escape.
  { method: "POST", path: "/models/:target+", handler: geminiModelCall },
  { method: "GET", path: "/v1beta/models", handler: listGeminiModels },
  { method: "GET", path: "/v1beta/models/:target+", handler: getGeminiModel },
  { method: "POST", path: "/v1beta/models/:target+", handler: geminiModelCall },
  { method: "POST", path: "/chat/completions", handler: chatCompletions },
  { method: "POST", path: "/responses", handler: createResponse },
  { method: "POST", path: "/messages", handler: createMessage },
  { method: "POST", path: "/messages/count_tokens", handler: countTokens },
  { method: "GET", path: "/responses/:id", handler: getResponse },
  { method: "DELETE", path: "/responses/:id", handler: deleteResponse },
  { method: "GET", path: "/responses/:id/input_items", handler: getResponseInputItems },
  { method: "POST", path: "/embeddings", handler: embeddings },
  { method: "POST", path: "/files", handler: createFile },
  { method: "GET", path: "/files", handler: listFiles },
  { method: "GET", path: "/files/:id", handler: getFile },
  { method: "DELETE", path: "/files/:id", handler: deleteFile },
  { method: "GET", path: "/files/:id/content", handler: getFileContent },
  // The admin API (ADMIN_TOKEN): keys as tenants, and their usage.
  { method: "POST", path: "/admin/keys", handler: createKey },
  { method: "GET", path: "/admin/keys", handler: listKeys },
  { method: "GET", path: "/admin/keys/:id", handler: getKey },
  { method: "PATCH", path: "/admin/keys/:id", handler: changeKey },
  { method: "DELETE", path: "/admin/keys/:id", handler: revokeKey },
  { method: "GET", path: "/admin/usage", handler: usage },
  // What the console shows, for scripts too; and the console's sign-in.
  { method: "GET", path: "/admin/status", handler: status },
  { method: "GET", path: "/admin/requests", handler: recentRequests },
  { method: "GET", path: "/admin/live", handler: live },
  { method: "GET", path: "/admin/models", handler: modelTable },
  { method: "GET", path: "/console", handler: consolePage },
  { method: "GET", path: "/console/assets/:file", handler: consoleAsset },
  { method: "GET", path: "/console/session", handler: sessionState },
  { method: "POST", path: "/console/session", handler: signIn },
  { method: "DELETE", path: "/console/session", handler: signOut },
  { method: "GET", path: "/admin/console-sessions", handler: countSessions },
  { method: "DELETE", path: "/admin/console-sessions", handler: endAllSessions },
];

/** `GET /`: what this is and what it serves. */
function index(_request: Request, ctx: RequestContext): Promise<Response> {
  const { backends } = ctx.app.config;
  return Promise.resolve(Response.json({
    name: NAME,
    version: VERSION,
    description: "OpenAI-compatible gateway to Sber GigaChat",
    endpoints: ROUTES.filter((route) => route.path !== "/").map((route) =>
      `${route.method} ${
        ["/health", "/ready", "/metrics"].includes(route.path) || route.path.startsWith("/v1beta")
          ? ""
          : "/v1"
      }${route.path.replace(/:(\w+)\+?/g, "{$1}")}`
    ),
    // Which GigaChat API serves what: chat per model, the rest always v1 (v2 has no files).
    gigachat_api: {
      chat: {
        default: backends.default,
        by_model: Object.fromEntries(
          backends.rules.map((rule) => [`${rule.model}${rule.prefix ? "*" : ""}`, rule.backend]),
        ),
        v2_tools: backends.v2Tools,
      },
      embeddings: "v1",
      files: "v1",
      models: "v1",
      tokens_count: "v1",
    },
  }));
}
