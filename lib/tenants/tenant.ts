import { z } from "zod";
import { invalidRequest } from "../errors.ts";
import { firstIssue } from "../http/schema_issue.ts";

/** What a tenant (a proxy key made through the admin API) may do; absent: no limit. */
export interface TenantLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (in and out) per minute. */
  tpm?: number;
  /** Chat generations under way at once. */
  concurrent?: number;
  /** Its share of GigaChat's slots against other keys' when they wait (1 by default). */
  weight?: number;
  /** Tokens per UTC day and per UTC month. */
  dailyTokens?: number;
  monthlyTokens?: number;
  /** Money per UTC month, at MODEL_PRICES. */
  monthlyBudget?: number;
}

/** A proxy key made at run time: kept as a hash, never as the secret. */
export interface Tenant {
  id: string;
  name: string;
  /** SHA-256 (hex) of the secret. */
  hash: string;
  /** The secret's first characters, so people can tell their keys apart. */
  prefix: string;
  createdAt: number;
  /** Models it may use (names as clients send them); absent: all. */
  allowedModels?: string[];
  limits: TenantLimits;
  /** Unix ms after which the key is refused. */
  expiresAt?: number;
  disabled: boolean;
}

const name = z.string().trim().min(1, "a name is required").max(100)
  .regex(/^[\p{L}\p{N} ._@-]+$/u, "letters, digits, spaces and . _ @ - only");
const positive = z.number().int().positive();
const expiry = z.union([
  // Unix seconds, before the year 10000 (a value in milliseconds is refused, not far away).
  z.number().int().positive().max(253402300799, "Unix seconds, not milliseconds")
    .transform((seconds) => seconds * 1000),
  z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)),
]);

const fields = {
  allowed_models: z.array(z.string().min(1).max(200)).max(1000).nullish(),
  rpm: positive.nullish(),
  tpm: positive.nullish(),
  max_concurrent: positive.nullish(),
  weight: z.number().int().min(1).max(100).nullish(),
  daily_tokens: positive.nullish(),
  monthly_tokens: positive.nullish(),
  monthly_budget: z.number().positive().nullish(),
  expires_at: expiry.nullish(),
  disabled: z.boolean().optional(),
};
const createSchema = z.strictObject({ name, ...fields });
const changeSchema = z.strictObject({ name: name.optional(), ...fields });

/** What the admin API may set on a key; null clears a field. */
export type KeyChange = z.infer<typeof changeSchema>;

/** Validates a key creation body. @throws {GatewayError} 400 naming the bad field. */
export function parseKeyCreation(body: unknown): KeyChange & { name: string } {
  return parseWith(createSchema, body);
}

/** Validates a key change body. @throws {GatewayError} 400 naming the bad field. */
export function parseKeyChange(body: unknown): KeyChange {
  return parseWith(changeSchema, body);
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const { param, message } = firstIssue(parsed.error);
  throw invalidRequest(`${param || "body"}: ${message}`, param || "body");
}

/** `tenant` with `change` applied; a null field is cleared. */
export function applyChange(tenant: Tenant, change: KeyChange): Tenant {
  const next: Tenant = { ...tenant, limits: { ...tenant.limits } };
  if (change.name !== undefined) next.name = change.name;
  if (change.disabled !== undefined) next.disabled = change.disabled;
  if (change.allowed_models !== undefined) {
    next.allowedModels = change.allowed_models ?? undefined;
  }
  if (change.rpm !== undefined) next.limits.rpm = change.rpm ?? undefined;
  if (change.tpm !== undefined) next.limits.tpm = change.tpm ?? undefined;
  if (change.weight !== undefined) next.limits.weight = change.weight ?? undefined;
  if (change.max_concurrent !== undefined) {
    next.limits.concurrent = change.max_concurrent ?? undefined;
  }
  if (change.daily_tokens !== undefined) {
    next.limits.dailyTokens = change.daily_tokens ?? undefined;
  }
  if (change.monthly_tokens !== undefined) {
    next.limits.monthlyTokens = change.monthly_tokens ?? undefined;
  }
  if (change.monthly_budget !== undefined) {
    next.limits.monthlyBudget = change.monthly_budget ?? undefined;
  }
  if (change.expires_at !== undefined) next.expiresAt = change.expires_at ?? undefined;
  return next;
}

/** A key as the admin API shows it: everything but the hash. */
export function keyView(tenant: Tenant): Record<string, unknown> {
  return {
    id: tenant.id,
    object: "gateway.key",
    name: tenant.name,
    key_prefix: tenant.prefix,
    created_at: Math.floor(tenant.createdAt / 1000),
    allowed_models: tenant.allowedModels ?? null,
    rpm: tenant.limits.rpm ?? null,
    tpm: tenant.limits.tpm ?? null,
    max_concurrent: tenant.limits.concurrent ?? null,
    weight: tenant.limits.weight ?? 1,
    daily_tokens: tenant.limits.dailyTokens ?? null,
    monthly_tokens: tenant.limits.monthlyTokens ?? null,
    monthly_budget: tenant.limits.monthlyBudget ?? null,
    expires_at: tenant.expiresAt === undefined ? null : Math.floor(tenant.expiresAt / 1000),
    disabled: tenant.disabled,
  };
}

/** Why `tenant` may not be used now, or undefined if it may. */
export function refusalOf(tenant: Tenant, now: number): string | undefined {
  if (tenant.disabled) return "This key was revoked.";
  if (tenant.expiresAt !== undefined && now >= tenant.expiresAt) return "This key has expired.";
  return undefined;
}
