import type { RequestContext } from "../lib/context.ts";
import { GatewayError, invalidRequest } from "../lib/errors.ts";
import type { UpstreamCall } from "../lib/gigachat/upstream_client.ts";
import { unexpectedAnswer } from "../lib/gigachat/upstream_error.ts";
import { callFields } from "../lib/pipeline/call_fields.ts";
import { ACCEPTED_TYPES, FILE_KINDS, fileTypeOf } from "../lib/gigachat/file_types.ts";
import { multipartForm } from "../lib/gigachat/file_form.ts";
import { guardedBody } from "../lib/http/guarded_body.ts";
import { rewriteUpload } from "../lib/http/multipart_upload.ts";
import { type OpenAIFile, toOpenAIFile } from "../lib/openai/to_openai_file.ts";
import { parseFileListQuery, toFileListPage } from "../lib/openai/file_list_page.ts";
import { checkFileOwner, fileScopeOf } from "../lib/vision/file_owners.ts";
import { asMember, throughMember } from "../lib/pipeline/credential_pool.ts";
import type { Credential } from "../lib/gigachat/credential.ts";

type Call = Omit<UpstreamCall, "method" | "path">;

async function callFor(request: Request, ctx: RequestContext): Promise<Call> {
  return { credential: await ctx.app.authenticate(request, ctx), ...callFields(ctx) };
}

/**
 * The call for file `:id`, once it is known to be this key's (a 404 otherwise), through the
 * pool credential that made it (a GigaChat file belongs to one account).
 */
async function callForFile(request: Request, ctx: RequestContext): Promise<Call> {
  const call = await callFor(request, ctx);
  const holder = await checkFileOwner(ctx.app.files, call.credential, ctx.params.id, "id");
  return { ...call, credential: throughMember(ctx.app.pool, call.credential, holder?.member) };
}

function fileOrFail(entry: unknown): OpenAIFile {
  const file = toOpenAIFile(entry);
  if (file === undefined) throw unexpectedAnswer("file object");
  return file;
}

/** The purposes OpenAI takes on upload; GigaChat itself gets `general` for all of them. */
export const FILE_PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

/** Refuses a missing or unknown `purpose`, as OpenAI does. */
function checkPurpose(fields: Readonly<Record<string, string>>, complete: boolean): void {
  const purpose = Object.hasOwn(fields, "purpose") ? fields.purpose : undefined;
  if (purpose === undefined) {
    if (!complete) return;
    throw invalidRequest(
      `Missing required parameter: 'purpose' (one of ${FILE_PURPOSES.join(", ")}).`,
      "purpose",
    );
  }
  if (!FILE_PURPOSES.includes(purpose)) {
    throw invalidRequest(
      `Invalid 'purpose': '${purpose.slice(0, 50)}'; expected one of ${FILE_PURPOSES.join(", ")}.`,
      "purpose",
    );
  }
}

/**
 * `POST /v1/files`: the upload is re-encoded for GigaChat as it streams in (never held whole),
 * with `purpose` always `general`, the one GigaChat takes for every kind of file (§4). The
 * answer echoes the purpose the client gave.
 */
export async function createFile(request: Request, ctx: RequestContext): Promise<Response> {
  const call = await callFor(request, ctx);
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  // The largest file GigaChat takes, plus room for the form around it.
  const largest = FILE_KINDS.document.maxBytes + 64 * 1024;
  if (declared > largest) {
    await request.body?.cancel().catch(() => {});
    throw new GatewayError(413, "The upload is larger than any file GigaChat accepts (40 MB).", {
      type: "invalid_request_error",
      code: "file_too_large",
      param: "file",
    });
  }
  let failure: GatewayError | undefined;
  const upload = await rewriteUpload(request, {
    fields: { purpose: "general" },
    checkFields: checkPurpose,
    accept(file) {
      const type = fileTypeOf(file.filename, file.contentType);
      if (type === undefined) {
        throw new GatewayError(
          415,
          `GigaChat does not accept ${file.filename} (${file.contentType ?? "no type given"}). ` +
            `Accepted types: ${ACCEPTED_TYPES.join(", ")}.`,
          { type: "invalid_request_error", code: "unsupported_file_type", param: "file" },
        );
      }
      return type;
    },
  });
  // A body that fails mid-way (a file over its limit) aborts the upload; its error is the answer.
  const reader = upload.body.getReader();
  const watched = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        if (error instanceof GatewayError) failure = error;
        controller.error(error);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  try {
    const entry = await ctx.app.upstream.requestJson<unknown>({
      ...call,
      method: "POST",
      path: "/files",
      upload: { body: watched, contentType: upload.contentType },
    });
    if (failure !== undefined) throw failure;
    const file = fileOrFail(entry);
    const scope = fileScopeOf(call.credential);
    const pooled = (ctx.app.pool?.size ?? 0) > 1;
    if (scope !== undefined || pooled) {
      await ctx.app.files.claim(scope ?? "", file.id, pooled ? call.credential.member : undefined);
    }
    return Response.json({ ...file, purpose: upload.file.fields.purpose });
  } catch (error) {
    throw failure ?? error;
  }
}

/**
 * `GET /v1/files`: OpenAI's list shape over GigaChat's `{"data": [...]}`, which has no paging
 * of its own: `limit`, `after` and `order` page through the whole list here.
 */
export async function listFiles(request: Request, ctx: RequestContext): Promise<Response> {
  const query = parseFileListQuery(new URL(request.url).searchParams);
  const call = await callFor(request, ctx);
  const all = await filesOfEvery(ctx, call);
  // Keys sharing the gateway's GigaChat key see only the files they made.
  const scope = fileScopeOf(call.credential);
  const owners = scope === undefined
    ? undefined
    : await Promise.all(all.map((file) => ctx.app.files.ownerOf(file.id)));
  const files = owners === undefined ? all : all.filter((_, i) => owners[i] === scope);
  return Response.json(toFileListPage(files, query));
}

/**
 * GigaChat's files of the request's credential, or of every credential of a pool (each holds
 * its own); a credential that cannot answer now is left out unless none can.
 */
async function filesOfEvery(ctx: RequestContext, call: Call): Promise<OpenAIFile[]> {
  const list = async (credential: Credential) => {
    const body = await ctx.app.upstream.requestJson<{ data?: unknown }>({
      ...call,
      credential,
      method: "GET",
      path: "/files",
    });
    return Array.isArray(body?.data) ? body.data.map(fileOrFail) : [];
  };
  const pool = ctx.app.pool;
  if (pool === undefined || pool.size === 1) return await list(call.credential);
  // Those cooling down or out are not asked (each call would refuse, and restart its wait).
  const lists = await Promise.allSettled(
    pool.usableMembers().map((member) => list(asMember(call.credential, member))),
  );
  const answered = lists.filter((each) => each.status === "fulfilled");
  if (answered.length === 0) throw (lists[0] as PromiseRejectedResult).reason;
  return answered.flatMap((each) => each.value);
}

/** `GET /v1/files/{id}`. */
export async function getFile(request: Request, ctx: RequestContext): Promise<Response> {
  const entry = await ctx.app.upstream.requestJson<unknown>({
    ...await callForFile(request, ctx),
    method: "GET",
    path: `/files/${encodeURIComponent(ctx.params.id)}`,
  });
  return Response.json(fileOrFail(entry));
}

/** `GET /v1/files/{id}/content`: the bytes streamed through with GigaChat's content type. */
export async function getFileContent(request: Request, ctx: RequestContext): Promise<Response> {
  const upstream = await ctx.app.upstream.request({
    ...await callForFile(request, ctx),
    method: "GET",
    path: `/files/${encodeURIComponent(ctx.params.id)}/content`,
    accept: request.headers.get("accept") ?? "*/*",
  });
  const headers = new Headers();
  for (const name of ["content-type", "content-length", "content-disposition"]) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  if (!headers.has("content-type")) headers.set("content-type", "application/octet-stream");
  const body = upstream.body === null ? null : guardedBody(upstream.body, {
    idleMs: ctx.app.config.streamIdleTimeoutMs,
    stopping: ctx.app.stopping,
    clientMs: ctx.app.config.streamClientTimeoutMs,
    cut: ctx.cutConnection,
  });
  return new Response(body, { headers });
}

/**
 * `DELETE /v1/files/{id}`: GigaChat deletes with `POST /files/{id}/delete` (§4), sent as the SDK
 * sends it, a multipart form whose `file` part holds the id.
 */
export async function deleteFile(request: Request, ctx: RequestContext): Promise<Response> {
  const id = ctx.params.id;
  const call = await callForFile(request, ctx);
  const body = await ctx.app.upstream.requestJson<{ id?: unknown; deleted?: unknown }>({
    ...call,
    method: "POST",
    path: `/files/${encodeURIComponent(id)}/delete`,
    upload: multipartForm([{ name: "file", value: id }]),
  });
  // Server-side mode may have claimed it (an owner, a pool credential).
  if (call.credential.member !== undefined) await ctx.app.files.release(id);
  return Response.json({
    id: typeof body?.id === "string" ? body.id : id,
    object: "file",
    deleted: body?.deleted !== false,
  });
}
