import { GatewayError } from "../errors.ts";
import type { Credential } from "../gigachat/credential.ts";

/**
 * Refuses a model the caller's key may not use (its `allowed_models`, by the name the client
 * asked for), before anything goes upstream. @throws {GatewayError} 403
 */
export function checkModelAllowed(credential: Credential, model: string): void {
  const allowed = credential.tenant?.allowedModels;
  if (allowed === undefined || allowed.includes(model)) return;
  throw new GatewayError(
    403,
    `This key may not use the model '${model.slice(0, 200)}'; it may use ${
      allowed.length > 0 ? allowed.join(", ") : "none"
    }.`,
    { type: "permission_error", code: "model_not_allowed", param: "model" },
  );
}
