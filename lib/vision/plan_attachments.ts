import { invalidRequest } from "../errors.ts";
import {
  type ChatMessage,
  type FilePart,
  isFilePart,
  isImagePart,
} from "../openai/chat_request.ts";
import { sniffImageType } from "./image_data.ts";

/** GigaChat's limits for images in one request (API-more.md §4b). */
export const MAX_IMAGES_PER_REQUEST = 10;

/** An image or file part of a user message that must become a GigaChat attachment. */
export interface PlannedAttachment {
  message: number;
  part: number;
  source:
    | { kind: "image"; url: string }
    | { kind: "file"; fileId?: string; fileData?: string; filename?: string };
}

export interface AttachmentPlan {
  attach: PlannedAttachment[];
  /** Older images left out (`"<message>:<part>"`), over the per-request limit. */
  dropped: Set<string>;
}

/**
 * Which parts of which user messages become attachments: at most one image per message (a 400
 * naming the message otherwise), images only for models that can see (a 400 naming one that
 * can), and of more than 10 images the newest 10, so long agent sessions keep working.
 */
export function planAttachments(
  messages: readonly ChatMessage[],
  options: {
    requestedModel: string;
    /** Whether the model takes images; undefined (not known) lets GigaChat decide. */
    vision: boolean | undefined;
    /** A model to suggest instead when this one does not (asked only then). */
    suggestVisionModel: () => string;
  },
): AttachmentPlan {
  const attach: PlannedAttachment[] = [];
  const images: PlannedAttachment[] = [];
  messages.forEach((message, i) => {
    if (message.role !== "user" || typeof message.content === "string") return;
    let imagesHere = 0;
    message.content.forEach((part, k) => {
      let planned: PlannedAttachment;
      if (isImagePart(part)) {
        planned = { message: i, part: k, source: { kind: "image", url: part.image_url.url } };
      } else if (isFilePart(part)) {
        planned = {
          message: i,
          part: k,
          source: {
            kind: "file",
            fileId: part.file.file_id,
            fileData: part.file.file_data,
            filename: part.file.filename,
          },
        };
      } else {
        return;
      }
      attach.push(planned);
      // An image sent as a file part is an image all the same: the same rules apply.
      if (planned.source.kind === "file" && !isImageFile(part as FilePart)) return;
      imagesHere++;
      if (imagesHere > 1) {
        throw invalidRequest(
          `messages[${i}] has more than one image; GigaChat takes one image per message. ` +
            "Send each image in its own user message.",
          `messages[${i}].content[${k}]`,
          "too_many_images",
        );
      }
      images.push(planned);
    });
  });
  if (images.length > 0 && options.vision === false) {
    const first = images[0];
    throw invalidRequest(
      `Model ${options.requestedModel} cannot see images; use ${options.suggestVisionModel()} ` +
        "(GET /v1/models shows which models take images; MODEL_CAPABILITIES or VISION_MODELS " +
        "change it).",
      `messages[${first.message}].content[${first.part}]`,
      "model_not_vision_capable",
    );
  }
  const dropped = new Set<string>();
  for (const old of images.slice(0, Math.max(0, images.length - MAX_IMAGES_PER_REQUEST))) {
    dropped.add(`${old.message}:${old.part}`);
  }
  return {
    attach: attach.filter((a) => !dropped.has(`${a.message}:${a.part}`)),
    dropped,
  };
}

const IMAGE_EXTENSIONS = new Set(["jpg", "jpeg", "png", "tif", "tiff", "bmp", "gif", "webp"]);

/**
 * Whether a file part carries an image: by its data URL's type, its file name, or its first
 * bytes. A `file_id` part's type is not known here (GigaChat has the file), so it counts as a
 * document.
 */
function isImageFile({ file }: FilePart): boolean {
  const data = file.file_data;
  if (!data) return false;
  const declared = /^data:([^;,]*)/.exec(data)?.[1]?.toLowerCase();
  if (declared?.startsWith("image/")) return true;
  const extension = /\.([A-Za-z0-9]+)$/.exec(file.filename ?? "")?.[1]?.toLowerCase();
  if (extension !== undefined && IMAGE_EXTENSIONS.has(extension)) return true;
  // 16 bytes are enough for every signature sniffImageType knows but SVG's.
  const base64 = data.slice(data.indexOf(",") + 1, data.indexOf(",") + 1 + 24).replace(/\s/g, "");
  try {
    const binary = atob(base64.slice(0, base64.length - (base64.length % 4)));
    return sniffImageType(Uint8Array.from(binary, (c) => c.charCodeAt(0))) !== undefined;
  } catch {
    return false;
  }
}
