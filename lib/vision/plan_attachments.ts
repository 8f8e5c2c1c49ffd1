import { invalidRequest } from "../errors.ts";
import { type ChatMessage, isFilePart, isImagePart } from "../openai/chat_request.ts";

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

/** The text standing in for an image left out of a long conversation. */
export const DROPPED_IMAGE_TEXT =
  "[An earlier image was left out: GigaChat takes at most 10 images per request.]";

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
    /** A model to suggest instead when this one does not. */
    visionModel: string;
  },
): AttachmentPlan {
  const attach: PlannedAttachment[] = [];
  const images: PlannedAttachment[] = [];
  messages.forEach((message, i) => {
    if (message.role !== "user" || typeof message.content === "string") return;
    let imagesHere = 0;
    message.content.forEach((part, k) => {
      if (isImagePart(part)) {
        imagesHere++;
        if (imagesHere > 1) {
          throw invalidRequest(
            `messages[${i}] has more than one image; GigaChat takes one image per message. ` +
              "Send each image in its own user message.",
            `messages[${i}].content[${k}]`,
            "too_many_images",
          );
        }
        const planned: PlannedAttachment = {
          message: i,
          part: k,
          source: { kind: "image", url: part.image_url.url },
        };
        images.push(planned);
        attach.push(planned);
      } else if (isFilePart(part)) {
        attach.push({
          message: i,
          part: k,
          source: {
            kind: "file",
            fileId: part.file.file_id,
            fileData: part.file.file_data,
            filename: part.file.filename,
          },
        });
      }
    });
  });
  if (images.length > 0 && options.vision === false) {
    const first = images[0];
    throw invalidRequest(
      `Model ${options.requestedModel} cannot see images; use ${options.visionModel} ` +
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
