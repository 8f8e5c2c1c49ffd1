// Tool-call ids round-trip without server state: the id carries GigaChat's functions_state_id.

const STATE_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The OpenAI tool-call id for a GigaChat function call: `call_<functions_state_id>`. */
export function toToolCallId(functionsStateId: string | undefined): string {
  if (functionsStateId !== undefined && STATE_ID.test(functionsStateId)) {
    return `call_${functionsStateId}`;
  }
  // Without a state id there is nothing to send back; the `gw` marker keeps it from being
  // mistaken for one.
  return `call_gw${crypto.randomUUID().replaceAll("-", "")}`;
}

/** The functions_state_id a client's tool-call id carries, if it is one of ours. */
export function functionsStateIdOf(toolCallId: string): string | undefined {
  const candidate = toolCallId.replace(/^(call_|fc_)/, "");
  return STATE_ID.test(candidate) ? candidate : undefined;
}
