import { invalidRequest } from "../errors.ts";
import type { Credential } from "../gigachat/credential.ts";
import { FILE_KINDS, fileTypeOf } from "../gigachat/file_types.ts";
import type { ResolvedAttachments } from "../mapping/to_gigachat_messages.ts";
import type { AttachmentUploader, UploadCall } from "./attachment_uploader.ts";
import { checkFileOwner, type FileOwners } from "./file_owners.ts";
import { fetchImage, type ImageFetchOptions } from "./fetch_image.ts";
import { ACCEPTED_IMAGE_TYPES, checkImage, parseDataUrl, sniffImageType } from "./image_data.ts";
import type { AttachmentPlan, PlannedAttachment } from "./plan_attachments.ts";

export interface ResolveDeps {
  uploader: AttachmentUploader;
  /** Whose files may be referenced by id (server-side mode with proxy keys). */
  owners: FileOwners;
  credential: Credential;
  call: UploadCall;
  fetchOptions: ImageFetchOptions;
}

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/tiff": "tiff",
  "image/bmp": "bmp",
};

/** Attachments resolved, and how many were uploaded now rather than found in the cache. */
export interface Resolution extends ResolvedAttachments {
  uploaded: number;
}

/**
 * Turns planned image and file parts into GigaChat file ids: data URLs decoded, http(s) URLs
 * fetched safely, types checked by their bytes, then uploaded (or found in the upload cache).
 * @throws {GatewayError} 400 naming the part at fault.
 */
export async function resolveAttachments(
  plan: AttachmentPlan,
  deps: ResolveDeps,
): Promise<Resolution> {
  const fileIds = new Map<string, string>();
  let uploaded = 0;
  for (const item of plan.attach) {
    const id = await resolveOne(item, deps);
    if (id.uploaded) uploaded++;
    fileIds.set(`${item.message}:${item.part}`, id.id);
  }
  return { fileIds, dropped: plan.dropped, uploaded };
}

async function resolveOne(
  item: PlannedAttachment,
  deps: ResolveDeps,
): Promise<{ id: string; uploaded: boolean }> {
  const param = `messages[${item.message}].content[${item.part}]`;
  const { source } = item;
  if (source.kind === "file") {
    if (source.fileId) {
      await checkFileOwner(deps.owners, deps.credential, source.fileId, param);
      return { id: source.fileId, uploaded: false };
    }
    if (!source.fileData) {
      throw invalidRequest(`${param}: a file part needs file_id or file_data.`, param);
    }
    const filename = source.filename ?? "document";
    // Documents go up to GigaChat's largest limit (40 MB); the type decides the real one below.
    const largest = FILE_KINDS.document.maxBytes;
    const { bytes, declared } = source.fileData.startsWith("data:")
      ? parseDataUrl(source.fileData, param, largest)
      : parseDataUrl(`data:;base64,${source.fileData}`, param, largest);
    // A part with neither a telling name nor a type may still be an image by its bytes.
    const sniffed = sniffImageType(bytes);
    const type = fileTypeOf(filename, declared) ??
      (sniffed !== undefined && (ACCEPTED_IMAGE_TYPES as readonly string[]).includes(sniffed)
        ? { mime: sniffed, maxBytes: FILE_KINDS.image.maxBytes }
        : undefined);
    if (type === undefined) {
      throw invalidRequest(
        `${param}: GigaChat does not accept ${filename} (${declared ?? "no type given"}).`,
        param,
        "unsupported_file_type",
      );
    }
    if (bytes.byteLength > type.maxBytes) {
      throw invalidRequest(`${param}: ${filename} is larger than GigaChat accepts.`, param);
    }
    const result = await deps.uploader.upload(
      { bytes, filename, mime: type.mime },
      deps.credential,
      deps.call,
    );
    return { id: result.id, uploaded: !result.cached };
  }
  const image = source.url.startsWith("data:")
    ? parseDataUrl(source.url, param)
    : await fetchImage(source.url, param, deps.fetchOptions).then((r) => ({
      bytes: r.bytes,
      declared: r.contentType,
    }));
  const mime = checkImage(image.bytes, image.declared, param);
  const result = await deps.uploader.upload(
    { bytes: image.bytes, filename: `image.${EXTENSIONS[mime]}`, mime },
    deps.credential,
    deps.call,
  );
  return { id: result.id, uploaded: !result.cached };
}
