import { z } from "zod";
import { invalidRequest } from "../../errors.ts";
import { firstIssue } from "../../http/schema_issue.ts";

// Google's Gemini API requests (generativelanguage v1beta), as far as the gateway reads them, in
// the REST spelling (camelCase) that @google/genai and Gemini CLI send. Unknown fields
// (safetySettings, cachedContent, labels, ...) are dropped, not refused. A part is told apart by
// the one data field it holds; each one the translation reads is checked here.

const object = z.record(z.string(), z.unknown());
const blob = z.looseObject({ mimeType: z.string().min(1), data: z.string() });
const fileData = z.looseObject({ mimeType: z.string().optional(), fileUri: z.string().min(1) });

const part = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().nullish(),
  thoughtSignature: z.string().nullish(),
  inlineData: blob.optional(),
  fileData: fileData.optional(),
  functionCall: z.looseObject({
    id: z.string().nullish(),
    name: z.string().min(1, "a functionCall needs a 'name'"),
    args: object.nullish(),
  }).optional(),
  functionResponse: z.looseObject({
    id: z.string().nullish(),
    name: z.string().min(1, "a functionResponse needs a 'name'"),
    response: object.nullish(),
    parts: z.array(z.looseObject({ inlineData: blob.optional(), fileData: fileData.optional() }))
      .nullish(),
  }).optional(),
});

const content = z.looseObject({
  // "function" is the older spelling of a turn of function responses.
  role: z.enum(["user", "model", "function"]).nullish(),
  parts: z.array(part),
});

const functionDeclaration = z.looseObject({
  name: z.string().min(1, "a function declaration needs a 'name'").max(64),
  description: z.string().nullish(),
  parameters: object.nullish(),
  parametersJsonSchema: z.unknown().optional(),
});

const tool = z.looseObject({
  functionDeclarations: z.array(functionDeclaration).nullish(),
  googleSearch: object.nullish(),
  googleSearchRetrieval: object.nullish(),
  urlContext: object.nullish(),
  codeExecution: object.nullish(),
});

const generationConfig = z.looseObject({
  temperature: z.number().min(0).max(2).nullish(),
  topP: z.number().min(0).max(1).nullish(),
  topK: z.number().nullish(),
  candidateCount: z.number().int().nullish(),
  maxOutputTokens: z.number().int().positive().nullish(),
  stopSequences: z.array(z.string()).max(16).nullish(),
  responseMimeType: z.string().nullish(),
  responseSchema: object.nullish(),
  responseJsonSchema: z.unknown().optional(),
  responseModalities: z.array(z.string()).nullish(),
  thinkingConfig: z.looseObject({
    includeThoughts: z.boolean().nullish(),
    thinkingBudget: z.number().int().nullish(),
    thinkingLevel: z.string().nullish(),
  }).nullish(),
});

const generateSchema = z.object({
  contents: z.array(content).min(1, "'contents' must not be empty"),
  systemInstruction: z.looseObject({ parts: z.array(part) }).nullish(),
  tools: z.array(tool).nullish(),
  toolConfig: z.looseObject({
    functionCallingConfig: z.looseObject({
      mode: z.enum(["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"]).nullish(),
      allowedFunctionNames: z.array(z.string()).nullish(),
    }).nullish(),
  }).nullish(),
  generationConfig: generationConfig.nullish(),
});

export type GenerateContentRequest = z.infer<typeof generateSchema>;
export type GeminiContent = z.infer<typeof content>;
export type GeminiPart = z.infer<typeof part>;

/** Validates a generateContent body. @throws {GatewayError} 400 naming the bad field. */
export function parseGenerateContentRequest(body: unknown): GenerateContentRequest {
  return parseWith(generateSchema, body);
}

const countSchema = z.object({
  contents: z.array(content).nullish(),
  generateContentRequest: generateSchema.extend({ model: z.string().nullish() }).nullish(),
});

/** The contents a countTokens body counts: its own, or those of the request it carries. */
export function parseCountTokensRequest(body: unknown): GenerateContentRequest {
  const parsed = parseWith(countSchema, body);
  if (parsed.generateContentRequest) return parsed.generateContentRequest;
  if (parsed.contents && parsed.contents.length > 0) return { contents: parsed.contents };
  throw invalidRequest("countTokens needs 'contents' or 'generateContentRequest'.", "contents");
}

const embedSchema = z.looseObject({
  model: z.string().nullish(),
  content: z.object({ parts: z.array(part).min(1, "'content.parts' must not be empty") }),
  taskType: z.string().nullish(),
  title: z.string().nullish(),
  outputDimensionality: z.number().int().positive().nullish(),
});

export type EmbedContentRequest = z.infer<typeof embedSchema>;

/** Validates an embedContent body. */
export function parseEmbedContentRequest(body: unknown): EmbedContentRequest {
  return parseWith(embedSchema, body);
}

/** Validates a batchEmbedContents body: `requests` of embedContent bodies. */
export function parseBatchEmbedRequest(body: unknown): EmbedContentRequest[] {
  return parseWith(
    z.object({ requests: z.array(embedSchema).min(1, "'requests' must not be empty") }),
    body,
  ).requests;
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const { param, message } = firstIssue(parsed.error);
  throw invalidRequest(`${param || "body"}: ${message}`, param || "body");
}
